package govbus.examples;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.kafka.KafkaMessageFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Publishes one event that govbus subscribers accept, without govbus: the data is checked against
 * the event type's published JSON Schema, built into a CloudEvent and written by the CloudEvents
 * SDK's Kafka binding in binary content mode (ce_* headers, content-type: application/json, the
 * JSON data as the value, the partition key as the record key), acknowledged by every in-sync
 * replica.
 *
 * <pre>
 * java -cp ... govbus.examples.Publisher --bootstrap 127.0.0.1:9092 --schemas contracts/schemas \
 *   --type uk.gov.council.address-change-notified.v1 --source urn:example:council:westminster \
 *   --key COA-2025-118204 --data change.json [--topic T] [--subject S] [--id ID]
 * </pre>
 *
 * <p>Prints {"id", "topic", "partition", "offset"} on stdout. Data that breaks the schema is not
 * sent: the program exits 2 naming each problem.
 */
public final class Publisher {
    private Publisher() {}

    public static void main(String[] argv) throws InterruptedException {
        Options options =
                Options.parse(
                        argv, Set.of("bootstrap", "schemas", "type", "source", "key", "data",
                                "topic", "subject", "id"));
        String type = options.required("type");
        String source = options.required("source");
        String key = options.required("key");
        String dataFile = options.required("data");
        Schemas schemas = new Schemas(Path.of(options.required("schemas")));

        byte[] bytes;
        JsonNode data;
        try {
            bytes = Files.readAllBytes(Path.of(dataFile));
            data = Schemas.JSON.readTree(bytes);
        } catch (IOException | JacksonException e) {
            Options.usage("--data " + dataFile + " is not a readable JSON file: " + e.getMessage());
            return;
        }
        Schemas.Entry schema;
        List<String> problems;
        try {
            schema = schemas.forType(type);
            problems = schemas.problems(type, data);
        } catch (Schemas.NoSchema e) {
            Options.usage(e.getMessage());
            return;
        }
        if (!problems.isEmpty()) {
            Options.usage("data breaks " + type + ": " + String.join("; ", problems));
        }

        // govbus's annotations on the schema name the topic and the security marking.
        JsonNode contract = schema.document().path("x-govbus");
        String topic = options.get("topic", contract.path("topic").asString(null));
        if (topic == null) {
            Options.usage("--topic is required: the schema of " + type + " names none");
        }
        CloudEventBuilder builder =
                CloudEventBuilder.v1()
                        .withId(options.get("id", UUID.randomUUID().toString()))
                        .withSource(URI.create(source))
                        .withType(type)
                        .withTime(OffsetDateTime.now(ZoneOffset.UTC))
                        .withDataSchema(URI.create(schema.document().path("$id").asString()))
                        .withExtension(
                                "classification",
                                contract.path("classification").asString("OFFICIAL"))
                        .withData("application/json", bytes);
        String subject = options.get("subject", null);
        if (subject != null) {
            builder.withSubject(subject);
        }
        String caveat = contract.path("handling_caveat").asString(null);
        if (caveat != null) {
            builder.withExtension("caveat", caveat);
        }
        CloudEvent event = builder.build();
        ProducerRecord<String, byte[]> record =
                KafkaMessageFactory.<String>createWriter(topic, key).writeBinary(event);

        Properties config = new Properties();
        String bootstrap = options.get("bootstrap", "127.0.0.1:9092");
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config)) {
            RecordMetadata sent = producer.send(record).get();
            ObjectNode line = Schemas.JSON.createObjectNode();
            line.put("id", event.getId());
            line.put("topic", sent.topic());
            line.put("partition", sent.partition());
            line.put("offset", sent.offset());
            System.out.println(line);
        } catch (ExecutionException e) {
            System.err.println("Kafka did not take the event: " + e.getCause());
            System.exit(1);
        }
    }
}
