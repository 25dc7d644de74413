// Validates one AsyncAPI document with the official AsyncAPI parser.
//
// Usage: node tools/asyncapi/validate.mjs PATH
//
// Prints one JSON object on stdout: {"path", "errors", "warnings", "infos", "diagnostics": [...]}
// where every diagnostic has code, message, severity ("error" | "warning" | "info" | "hint") and
// path (the JSON path inside the document). Exits 0 when there is no error-severity diagnostic,
// 1 when there is at least one, 2 when the file cannot be read.
//
// govbus publishes a self-contained catalogue, so any `$ref` that does not start with "#" is
// reported as an error here before the parser sees it: the parser would otherwise follow it
// over the network or the file system.
import { readFile } from 'node:fs/promises';
import parserPackage from '@asyncapi/parser';

const { Parser } = parserPackage;
const SEVERITIES = ['error', 'warning', 'info', 'hint'];

function externalRefs(node, path, found) {
  if (Array.isArray(node)) {
    node.forEach((item, index) => externalRefs(item, [...path, String(index)], found));
  } else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && !value.startsWith('#')) {
        found.push({
          code: 'govbus-external-ref',
          message: `external $ref ${JSON.stringify(value)}: the catalogue must be self-contained`,
          severity: 'error',
          path: [...path, key],
        });
      } else {
        externalRefs(value, [...path, key], found);
      }
    }
  }
  return found;
}

async function main() {
  const path = process.argv[2];
  if (!path) {
    process.stderr.write('usage: node validate.mjs PATH\n');
    return 2;
  }
  let text;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    process.stderr.write(`cannot read ${path}: ${error.message}\n`);
    return 2;
  }

  let diagnostics = [];
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the parser also reads YAML and reports syntax errors itself.
  }
  if (parsed !== null) {
    diagnostics = externalRefs(parsed, [], []);
  }
  if (diagnostics.length === 0) {
    const parser = new Parser();
    const output = await parser.parse(text, { source: path });
    diagnostics = output.diagnostics.map((d) => ({
      code: String(d.code),
      message: d.message,
      severity: SEVERITIES[d.severity] ?? String(d.severity),
      path: d.path.map(String),
    }));
  }

  const count = (severity) => diagnostics.filter((d) => d.severity === severity).length;
  const report = {
    path,
    errors: count('error'),
    warnings: count('warning'),
    infos: count('info'),
    diagnostics,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report.errors > 0 ? 1 : 0;
}

process.exitCode = await main();
