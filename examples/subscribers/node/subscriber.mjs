// Subscribes to govbus topics without govbus: kafkajs reads the records, the CloudEvents SDK's
// Kafka binding turns each into a CloudEvent, and ajv checks its data against the event type's
// published JSON Schema.
//
//   node subscriber.mjs --bootstrap 127.0.0.1:9092 --group dwp-pensions \
//     --topic gro.death-registered.v2 --schemas ../../../contracts/schemas [--max-events N]
//
// Prints one JSON line per record on stdout: the event's attributes and data when it is valid,
// or "valid": false and the errors naming what is wrong. A bad record is reported and skipped,
// never fatal. Stops after --max-events records (exit 0) or --timeout-s seconds (exit 1).

import { Kafka as KafkaBinding } from "cloudevents";

import { kafkaClient } from "./lib/kafka.mjs";
import { parseOptions, wholeNumber } from "./lib/options.mjs";
import { Schemas } from "./lib/schemas.mjs";

const args = parseOptions(
  {
    bootstrap: { type: "string", default: "127.0.0.1:9092" },
    group: { type: "string" },
    topic: { type: "string", multiple: true },
    schemas: { type: "string" },
    "max-events": { type: "string", default: "0" },
    "timeout-s": { type: "string", default: "0" },
  },
  ["group", "topic", "schemas"],
);
const maxEvents = wholeNumber(args, "max-events");
const timeoutS = wholeNumber(args, "timeout-s");

const schemas = new Schemas(args.schemas);

/** What one Kafka record holds, as the JSON line this program prints. */
function describe(message, topic, partition) {
  const where = { topic, partition, offset: Number(message.offset) };
  // kafkajs gives header values as Buffers; the binding expects strings.
  const headers = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    headers[name] = Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
  }
  let event;
  try {
    if (!KafkaBinding.isEvent({ headers })) {
      throw new Error("no ce_id or CloudEvents content-type header");
    }
    const key = message.key?.toString("utf8");
    const decoded = KafkaBinding.toEvent({ headers, key, value: message.value });
    if (Array.isArray(decoded)) throw new Error("a batch of CloudEvents, not one event");
    event = decoded;
    event.validate(); // the CloudEvents 1.0 attribute rules (required, formats, names)
  } catch (error) {
    const problem = error instanceof SyntaxError ? "value is not JSON" : "not a CloudEvent";
    return { ...where, valid: false, errors: [`${problem}: ${describeError(error)}`] };
  }
  const attributes = {
    id: event.id,
    type: event.type,
    source: event.source,
    subject: event.subject ?? null,
    time: event.time ?? null,
    dataschema: event.dataschema ?? null,
    key: message.key === null ? null : message.key.toString("utf8"),
    classification: event.classification ?? null,
  };
  const mediaType = String(event.datacontenttype ?? "").split(";")[0].trim().toLowerCase();
  if (mediaType !== "application/json" || typeof event.data !== "object" || event.data === null) {
    return { ...where, ...attributes, valid: false, errors: ["data is not a JSON object"] };
  }
  let errors;
  try {
    errors = schemas.problems(event.type, event.data);
  } catch (error) {
    errors = [error.message];
  }
  if (errors.length) return { ...where, ...attributes, valid: false, errors };
  return { ...where, ...attributes, valid: true, data: event.data };
}

/** The SDK's ValidationError lists each broken attribute rule in `errors`. */
function describeError(error) {
  const details = Array.isArray(error.errors)
    ? error.errors.map((e) => e.message ?? JSON.stringify(e))
    : [];
  return [error.message, ...details].join("; ").slice(0, 1000);
}

const kafka = kafkaClient(args.bootstrap, args.group);
const consumer = kafka.consumer({ groupId: args.group });
let seen = 0;
let stopping = false; // --max-events reached
let finished = false;

async function finish(code, reason) {
  if (finished) return;
  finished = true;
  if (reason) process.stderr.write(`${reason}\n`);
  await consumer.disconnect().catch(() => {});
  process.exit(code);
}

process.on("SIGTERM", () => finish(0));
process.on("SIGINT", () => finish(0));
if (timeoutS > 0) {
  const reason = () => `stopped after ${timeoutS} s with ${seen} of ${maxEvents} records`;
  setTimeout(() => finish(1, reason()), timeoutS * 1000).unref();
}

await consumer.connect();
await consumer.subscribe({ topics: args.topic, fromBeginning: true });
await consumer.run({
  // Offsets are resolved one by one as records are handled and committed after each batch: at
  // least once, so a restarted subscriber may see an event again and should drop a ce_id it has
  // handled. Records after --max-events stay unresolved, for the next run.
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, ...state }) => {
    for (const message of batch.messages) {
      if (finished || stopping || !state.isRunning() || state.isStale()) break;
      let line;
      try {
        line = describe(message, batch.topic, batch.partition);
      } catch (error) {
        const { topic, partition } = batch;
        const offset = Number(message.offset);
        line = { topic, partition, offset, valid: false, errors: [String(error)] };
      }
      process.stdout.write(JSON.stringify(line) + "\n");
      resolveOffset(message.offset);
      seen += 1;
      stopping = maxEvents > 0 && seen >= maxEvents;
      await heartbeat();
    }
    await commitOffsetsIfNecessary();
    if (stopping) setImmediate(() => finish(0));
  },
});
