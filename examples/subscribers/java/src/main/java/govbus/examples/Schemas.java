package govbus.examples;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.keyword.AnnotationKeyword;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * govbus's published JSON Schemas (2020-12), looked up by CloudEvents type.
 *
 * <p>A schema folder is what {@code govbus contracts export DIR} writes (and what govbus commits
 * in contracts/schemas/): {@code DIR/<event type>/v<N>.schema.json}, where the CloudEvents type of
 * an event is {@code <event type>.v<N>}, e.g. {@code uk.gov.gro.death-registered.v2}.
 */
final class Schemas {
    /** Thrown when a CloudEvents type is malformed or has no schema in the folder. */
    static final class NoSchema extends RuntimeException {
        NoSchema(String message) {
            super(message);
        }
    }

    /** A schema document (with govbus's x-govbus annotations) and its compiled validator. */
    record Entry(JsonNode document, Schema schema) {}

    // Event types are reverse-DNS names; checking the whole type before touching the file system
    // means a hostile ce_type ("../../etc/passwd.v1") never becomes a path.
    private static final Pattern TYPE =
            Pattern.compile("([a-z0-9]+(?:[.-][a-z0-9]+)*)\\.v([1-9][0-9]{0,3})");

    static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path folder;
    private final SchemaRegistry registry;
    private final Map<String, Entry> compiled = new ConcurrentHashMap<>();

    Schemas(Path folder) {
        this.folder = folder;
        // In 2020-12 "format" only annotates unless asked to assert: dates must be dates.
        SchemaRegistryConfig config =
                SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build();
        // x-govbus (owner, classification, topic, personal data) is govbus's annotation on
        // each schema: declared, so that it is kept as an annotation rather than warned about.
        Dialect dialect =
                Dialect.builder(Dialects.getDraft202012())
                        .keyword(new AnnotationKeyword("x-govbus"))
                        .build();
        this.registry =
                SchemaRegistry.withDialect(
                        dialect, builder -> builder.schemaRegistryConfig(config));
    }

    /** The schema of a CloudEvents type; throws {@link NoSchema} saying why there is none. */
    Entry forType(String type) {
        Entry cached = compiled.get(type);
        if (cached != null) {
            return cached;
        }
        Matcher match = TYPE.matcher(type == null ? "" : type);
        if (!match.matches()) {
            String shown = type == null ? "null" : type.substring(0, Math.min(type.length(), 200));
            throw new NoSchema("ce_type \"" + shown + "\" is not <event type>.v<N>");
        }
        Path path = folder.resolve(match.group(1)).resolve("v" + match.group(2) + ".schema.json");
        JsonNode document;
        try {
            document = JSON.readTree(Files.readString(path));
        } catch (IOException | JacksonException e) {
            throw new NoSchema("no schema for ce_type " + type + " at " + path + ": " + e);
        }
        Entry entry = new Entry(document, registry.getSchema(document));
        compiled.put(type, entry);
        return entry;
    }

    /** The problems of {@code data} against the schema of {@code type}, each naming the field. */
    List<String> problems(String type, JsonNode data) {
        List<Error> errors = forType(type).schema().validate(data);
        return errors.stream().map(Schemas::describe).toList();
    }

    private static String describe(Error error) {
        String where = error.getInstanceLocation().toString();
        return (where.isEmpty() ? "/" : where) + " " + error.getMessage();
    }
}
