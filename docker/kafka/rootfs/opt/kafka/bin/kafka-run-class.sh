#!/bin/sh
# Runs a Kafka class on /opt/kafka/libs, as Kafka's own kafka-run-class.sh does for the image.
# KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS and KAFKA_OPTS are honoured.
set -e
class=$1
shift
: "${KAFKA_HEAP_OPTS:=-Xmx256m}"
: "${KAFKA_JVM_PERFORMANCE_OPTS:=-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true}"
: "${KAFKA_LOG4J_OPTS:=-Dlog4j2.configurationFile=/opt/kafka/config/log4j2.yaml}"
# shellcheck disable=SC2086 # each variable holds several JVM options
exec java $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS $KAFKA_LOG4J_OPTS ${KAFKA_OPTS:-} \
  -cp '/opt/kafka/libs/*' "$class" "$@"
