package govbus.examples;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Command-line options {@code --name value}; a name may repeat (--topic a --topic b). */
final class Options {
    private final Map<String, List<String>> values = new LinkedHashMap<>();

    private Options() {}

    /** Reads {@code argv}; exits 2 naming an option that is unknown or has no value. */
    static Options parse(String[] argv, Set<String> known) {
        Options options = new Options();
        for (int i = 0; i < argv.length; i += 2) {
            String flag = argv[i];
            String name = flag.startsWith("--") ? flag.substring(2) : "";
            if (!known.contains(name)) {
                String names = String.join(", --", new TreeSet<>(known));
                usage("unknown option " + flag + "; known: --" + names);
            }
            if (i + 1 >= argv.length) {
                usage(flag + " needs a value");
            }
            options.values.computeIfAbsent(name, key -> new ArrayList<>()).add(argv[i + 1]);
        }
        return options;
    }

    String required(String name) {
        String value = get(name, null);
        if (value == null || value.isBlank()) {
            usage("--" + name + " is required");
        }
        return value;
    }

    String get(String name, String fallback) {
        List<String> given = values.get(name);
        return given == null ? fallback : given.get(given.size() - 1);
    }

    List<String> all(String name) {
        List<String> given = values.getOrDefault(name, List.of());
        if (given.isEmpty()) {
            usage("--" + name + " is required");
        }
        return given;
    }

    long number(String name, long fallback) {
        String value = get(name, null);
        if (value == null) {
            return fallback;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            usage("--" + name + " " + value + " is not a whole number");
            return fallback;
        }
    }

    static void usage(String message) {
        System.err.println(message);
        System.exit(2);
    }
}
