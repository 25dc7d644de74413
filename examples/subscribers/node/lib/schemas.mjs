// govbus's published JSON Schemas (2020-12), looked up by CloudEvents type and compiled with ajv.
//
// A schema folder is what `govbus contracts export DIR` writes (and what govbus commits in
// contracts/schemas/): DIR/<event type>/v<N>.schema.json, where the CloudEvents type of an event
// is "<event type>.v<N>", e.g. uk.gov.gro.death-registered.v2.

import { readFileSync } from "node:fs";
import { join } from "node:path";

import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

// Event types are reverse-DNS names; checking the whole type before touching the file system
// means a hostile ce_type ("../../etc/passwd.v1") never becomes a path.
const CLOUDEVENTS_TYPE = /^([a-z0-9]+(?:[.-][a-z0-9]+)*)\.v([1-9][0-9]{0,3})$/;

export class Schemas {
  /** @param {string} folder a folder written by `govbus contracts export` */
  constructor(folder) {
    this.folder = folder;
    // strict: typos in a schema are errors. x-govbus (owner, classification, topic, personal
    // data) is govbus's annotation on each schema, so it is declared as a known keyword.
    this.ajv = new Ajv2020({ strict: true, allErrors: true });
    this.ajv.addKeyword({ keyword: "x-govbus", schemaType: "object" });
    addFormats(this.ajv);
    this.compiled = new Map();
  }

  /**
   * The schema document and validator of a CloudEvents type; throws an Error saying why when
   * the type is malformed or has no schema in the folder.
   */
  forType(type) {
    const cached = this.compiled.get(type);
    if (cached) return cached;
    const match = CLOUDEVENTS_TYPE.exec(String(type ?? ""));
    if (!match) {
      const shown = JSON.stringify(String(type).slice(0, 200));
      throw new Error(`ce_type ${shown} is not <event type>.v<N>`);
    }
    const path = join(this.folder, match[1], `v${match[2]}.schema.json`);
    let document;
    try {
      document = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      throw new Error(`no schema for ce_type ${type} at ${path}: ${error.message}`);
    }
    const entry = { document, validate: this.ajv.compile(document) };
    this.compiled.set(type, entry);
    return entry;
  }

  /** The problems of `data` against the schema of `type`, one string each naming the field. */
  problems(type, data) {
    const { validate } = this.forType(type);
    if (validate(data)) return [];
    return validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}`);
  }
}
