package io.sentiflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's table of job settings says what {@link JobConfig} does: every key, its default. */
class ConfigDocsTest {
    private static final Pattern CODE = Pattern.compile("`([^`]*)`");

    /** Each key the table documents, with the default it gives (none: the empty string). */
    private static Map<String, String> documented() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("..", "README.md"));
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("Job settings (")) {
                start = i;
                break;
            }
        }
        assertThat(start).as("the README's table of job settings").isNotNegative();
        Map<String, String> defaults = new LinkedHashMap<>();
        for (int i = start + 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() && !defaults.isEmpty()) {
                break;
            }
            if (!line.startsWith("| `")) {
                continue;
            }
            String[] cells = line.split(" \\| ");
            List<String> keys = code(cells[0]);
            if (keys.equals(List.of("kafka.*"))) {
                continue;
            }
            String cell = cells[1].trim();
            List<String> values = cell.equals("none") ? new ArrayList<>() : code(cell);
            if (values.isEmpty()) {
                keys.forEach(k -> values.add(""));
            }
            assertThat(values).as("a default for each of %s", keys).hasSameSizeAs(keys);
            for (int k = 0; k < keys.size(); k++) {
                defaults.put(keys.get(k), values.get(k));
            }
        }
        return defaults;
    }

    private static List<String> code(String cell) {
        List<String> found = new ArrayList<>();
        Matcher m = CODE.matcher(cell);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    @Test
    void everySettingShouldBeDocumentedWithItsDefault() throws Exception {
        Map<String, String> documented = documented();
        JobConfig defaults = JobConfig.fromArgs();
        Map<String, String> actual = new LinkedHashMap<>();
        for (String key : JobConfig.knownKeys()) {
            actual.put(key, defaults.get(key));
        }
        assertThat(documented).as("the README's defaults").isEqualTo(actual);
    }
}
