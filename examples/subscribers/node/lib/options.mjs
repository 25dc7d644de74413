// Command-line options of both programs; a usage error exits 2 with one line naming the option.

import { parseArgs } from "node:util";

/** Prints `message` on stderr and exits 2. */
export function usage(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** The values of `options` (a node:util parseArgs spec), each of `required` present. */
export function parseOptions(options, required) {
  let values;
  try {
    ({ values } = parseArgs({ options, strict: true, allowPositionals: false }));
  } catch (error) {
    usage(error.message);
  }
  for (const name of required) {
    const value = values[name];
    if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) {
      usage(`--${name} is required`);
    }
  }
  return values;
}

/** The option `name` as a whole number of 0 or more. */
export function wholeNumber(values, name) {
  const number = Number(values[name]);
  if (!Number.isInteger(number) || number < 0) {
    usage(`--${name} ${values[name]} is not a whole number`);
  }
  return number;
}
