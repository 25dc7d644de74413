package govbus.examples;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.KafkaMessageFactory;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Subscribes to govbus topics without govbus: the plain Kafka consumer reads the records, the
 * CloudEvents SDK's Kafka binding turns each into a CloudEvent, and the event type's published
 * JSON Schema checks its data.
 *
 * <pre>
 * java -cp ... govbus.examples.Subscriber --bootstrap 127.0.0.1:9092 --group dwp-pensions \
 *   --topic gro.death-registered.v2 --schemas contracts/schemas [--max-events N] [--timeout-s S]
 * </pre>
 *
 * <p>Prints one JSON line per record on stdout: the event's attributes and data when it is valid,
 * or {@code "valid": false} and the errors naming what is wrong. A bad record is reported and
 * skipped, never fatal. Offsets are committed after the records are handled (at least once: a
 * restarted subscriber may see an event again and should drop a ce_id it has handled). Stops
 * after --max-events records (exit 0) or --timeout-s seconds (exit 1).
 */
public final class Subscriber {
    private Subscriber() {}

    public static void main(String[] argv) {
        Options options =
                Options.parse(
                        argv, Set.of("bootstrap", "group", "topic", "schemas", "max-events",
                                "timeout-s"));
        List<String> topics = options.all("topic");
        String group = options.required("group");
        Schemas schemas = new Schemas(Path.of(options.required("schemas")));
        long maxEvents = options.number("max-events", 0);
        long timeoutS = options.number("timeout-s", 0);

        Properties config = new Properties();
        String bootstrap = options.get("bootstrap", "127.0.0.1:9092");
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        // Bytes, not the SDK's CloudEventDeserializer: a record that is not a CloudEvent then
        // reaches describe() and is reported, instead of failing poll() for the whole consumer.
        config.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());

        long deadline =
                timeoutS > 0 ? System.nanoTime() + Duration.ofSeconds(timeoutS).toNanos() : 0;
        long seen = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(topics);
            while (maxEvents <= 0 || seen < maxEvents) {
                if (deadline != 0 && System.nanoTime() > deadline) {
                    String counts = seen + " of " + maxEvents + " records";
                    System.err.println("stopped after " + timeoutS + " s with " + counts);
                    System.exit(1);
                }
                Map<TopicPartition, OffsetAndMetadata> handled = new HashMap<>();
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
                for (ConsumerRecord<String, byte[]> record : records) {
                    System.out.println(describe(record, schemas));
                    handled.put(
                            new TopicPartition(record.topic(), record.partition()),
                            new OffsetAndMetadata(record.offset() + 1));
                    seen += 1;
                    if (maxEvents > 0 && seen >= maxEvents) {
                        break;
                    }
                }
                System.out.flush();
                if (!handled.isEmpty()) {
                    consumer.commitSync(handled);
                }
            }
        }
    }

    /** What one Kafka record holds, as the JSON line this program prints. */
    static ObjectNode describe(ConsumerRecord<String, byte[]> record, Schemas schemas) {
        ObjectNode line = Schemas.JSON.createObjectNode();
        line.put("topic", record.topic());
        line.put("partition", record.partition());
        line.put("offset", record.offset());
        CloudEvent event;
        try {
            event = KafkaMessageFactory.createReader(record).toEvent();
        } catch (RuntimeException e) {
            return invalid(line, "not a CloudEvent: " + e.getMessage());
        }
        line.put("id", event.getId());
        line.put("type", event.getType());
        line.put("source", event.getSource().toString());
        line.put("subject", event.getSubject());
        line.put("time", event.getTime() == null ? null : event.getTime().toString());
        URI dataschema = event.getDataSchema();
        line.put("dataschema", dataschema == null ? null : dataschema.toString());
        line.put("key", record.key());
        Object classification = event.getExtension("classification");
        line.put("classification", classification == null ? null : classification.toString());
        String contentType = event.getDataContentType() == null ? "" : event.getDataContentType();
        String mediaType = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (!"application/json".equals(mediaType) || event.getData() == null) {
            return invalid(line, "data is not application/json");
        }
        JsonNode data;
        try {
            data = Schemas.JSON.readTree(event.getData().toBytes());
        } catch (JacksonException e) {
            return invalid(line, "value is not JSON: " + e.getOriginalMessage());
        }
        if (!data.isObject()) {
            return invalid(line, "data is not a JSON object");
        }
        List<String> problems;
        try {
            problems = schemas.problems(event.getType(), data);
        } catch (Schemas.NoSchema e) {
            problems = List.of(e.getMessage());
        }
        line.put("valid", problems.isEmpty());
        if (problems.isEmpty()) {
            line.set("data", data);
        } else {
            problems.forEach(line.putArray("errors")::add);
        }
        return line;
    }

    private static ObjectNode invalid(ObjectNode line, String problem) {
        line.put("valid", false);
        String shown = problem == null ? "unknown" : problem;
        line.putArray("errors").add(shown.substring(0, Math.min(shown.length(), 1000)));
        return line;
    }
}
