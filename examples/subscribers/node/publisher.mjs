// Publishes one event that govbus subscribers accept, without govbus: the data is checked against
// the event type's published JSON Schema, wrapped in a CloudEvent and written by the CloudEvents
// SDK's Kafka binding in binary content mode (ce_* headers, content-type: application/json, the
// JSON data as the value, the partition key as the record key), acknowledged by every in-sync
// replica.
//
//   node publisher.mjs --bootstrap 127.0.0.1:9092 --schemas ../../../contracts/schemas \
//     --type uk.gov.council.address-change-notified.v1 --source urn:example:council:westminster \
//     --key COA-2025-118204 --data change.json [--topic T] [--subject S] [--id ID]
//
// Prints {"id", "topic", "partition", "offset"} on stdout. Data that breaks the schema is not
// sent: the program exits 2 naming each problem.

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";

import { CloudEvent, Kafka as KafkaBinding } from "cloudevents";
import { Partitioners } from "kafkajs";

import { kafkaClient } from "./lib/kafka.mjs";
import { parseOptions, usage as fail } from "./lib/options.mjs";
import { Schemas } from "./lib/schemas.mjs";

const args = parseOptions(
  {
    bootstrap: { type: "string", default: "127.0.0.1:9092" },
    schemas: { type: "string" },
    type: { type: "string" },
    source: { type: "string" },
    key: { type: "string" },
    data: { type: "string" },
    topic: { type: "string" },
    subject: { type: "string" },
    id: { type: "string" },
  },
  ["schemas", "type", "source", "key", "data"],
);

let data;
try {
  data = JSON.parse(readFileSync(args.data === "-" ? 0 : args.data, "utf8"));
} catch (error) {
  fail(`--data ${args.data} is not a readable JSON file: ${error.message}`);
}

const schemas = new Schemas(args.schemas);
let schema;
try {
  schema = schemas.forType(args.type).document;
} catch (error) {
  fail(error.message);
}
const problems = schemas.problems(args.type, data);
if (problems.length) fail(`data breaks ${args.type}: ${problems.join("; ")}`);

// govbus's annotations on the schema name the topic and the security marking.
const contract = schema["x-govbus"] ?? {};
const topic = args.topic ?? contract.topic;
if (!topic) fail(`--topic is required: the schema of ${args.type} names none`);
const extensions = { classification: contract.classification ?? "OFFICIAL" };
if (contract.handling_caveat) extensions.caveat = contract.handling_caveat;

const event = new CloudEvent({
  id: args.id ?? randomUUID(),
  source: args.source,
  type: args.type,
  subject: args.subject,
  time: new Date().toISOString(),
  dataschema: schema.$id,
  datacontenttype: "application/json",
  data,
  partitionkey: args.key,
  ...extensions,
});
const message = KafkaBinding.binary(event);

const producer = kafkaClient(args.bootstrap, "govbus-example-publisher").producer({
  idempotent: true,
  maxInFlightRequests: 1,
  // Java's partitioner (murmur2 of the key), as govbus uses: one key, one partition, in order.
  createPartitioner: Partitioners.DefaultPartitioner,
});
await producer.connect();
try {
  const [sent] = await producer.send({
    topic,
    acks: -1,
    messages: [
      {
        key: message.key,
        value: JSON.stringify(message.value),
        // Unset optional attributes (no --subject) are left out rather than sent empty. The
        // binding also writes ce_datacontenttype, which the Kafka protocol binding carries in
        // content-type alone, so that copy is dropped.
        headers: Object.fromEntries(
          Object.entries(message.headers).filter(
            ([name, value]) => value !== undefined && name !== "ce_datacontenttype",
          ),
        ),
      },
    ],
  });
  process.stdout.write(
    JSON.stringify({
      id: event.id,
      topic,
      partition: sent.partition,
      offset: Number(sent.baseOffset),
    }) + "\n",
  );
} finally {
  await producer.disconnect();
}
