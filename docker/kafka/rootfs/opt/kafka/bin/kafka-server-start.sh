#!/bin/sh
# Starts a broker with the given server.properties, with the official image's default heap.
: "${KAFKA_HEAP_OPTS:=-Xmx1G -Xms1G}"
export KAFKA_HEAP_OPTS
exec "$(dirname "$0")/kafka-run-class.sh" kafka.Kafka "$@"
