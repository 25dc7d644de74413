// The Kafka client both programs share: kafkajs, quiet on stdout (which carries the programs'
// JSON lines), with the Java client's partitioner so keys land where govbus puts them.

import { Kafka, logLevel } from "kafkajs";

/** A kafkajs client for `bootstrap` ("host:port[,host:port]") that logs warnings to stderr. */
export function kafkaClient(bootstrap, clientId) {
  return new Kafka({
    clientId,
    brokers: bootstrap.split(",").map((broker) => broker.trim()).filter(Boolean),
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, log }) =>
      process.stderr.write(`${namespace}: ${log.message}\n`),
  });
}
