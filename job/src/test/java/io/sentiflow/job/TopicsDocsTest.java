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

/**
 * The README's table of the job's topics says what {@link Topics} makes: every topic under its
 * default name, its partitions and its settings.
 */
class TopicsDocsTest {
    /** What "`--partitions`" stands for here: any count that no topic has by itself. */
    private static final int PARTITIONS = 7;

    private static final Pattern SETTING =
            Pattern.compile(
                    "^`([a-z.]+)` (?:`([^`]+)`|(-?\\d+)( days)?|(= `output.max-record-bytes` \\+ 1 KiB)|(as above))");
    private static final Pattern DAYS = Pattern.compile("^(\\d+) days$");

    @Test
    void theTableOfTopicsShouldSayWhatTopicsMakes() throws Exception {
        JobConfig defaults = JobConfig.fromArgs();
        long maxBytes = defaults.outputMaxRecordBytes() + 1024;
        Map<String, String> expected = new LinkedHashMap<>();
        for (Topics.Spec spec : Topics.of(defaults, PARTITIONS)) {
            expected.put(
                    spec.name(),
                    spec.partitions() + " " + new java.util.TreeMap<>(spec.settings()));
        }
        Map<String, String> documented = new LinkedHashMap<>();
        for (String line : table()) {
            String[] cells = line.substring(2, line.length() - 2).split(" \\| ");
            assertThat(cells).as(line).hasSize(3);
            String name = cells[0].replace("`", "");
            int partitions =
                    cells[1].startsWith("`--partitions`")
                            ? PARTITIONS
                            : Integer.parseInt(cells[1].split(" ")[0]);
            Map<String, String> settings = new java.util.TreeMap<>();
            for (String part : topLevelParts(cells[2])) {
                Matcher days = DAYS.matcher(part);
                if (days.matches()) {
                    settings.put(
                            "retention.ms",
                            String.valueOf(Long.parseLong(days.group(1)) * 86_400_000L));
                    continue;
                }
                Matcher setting = SETTING.matcher(part);
                assertThat(setting.find()).as("a setting the test can read: %s", part).isTrue();
                String value;
                if (setting.group(2) != null) {
                    value = setting.group(2);
                } else if (setting.group(3) != null) {
                    long number = Long.parseLong(setting.group(3));
                    value =
                            String.valueOf(
                                    setting.group(4) != null ? number * 86_400_000L : number);
                } else {
                    value = String.valueOf(maxBytes);
                }
                settings.put(setting.group(1), value);
            }
            documented.put(name, partitions + " " + settings);
        }
        assertThat(documented).as("the README's table of topics").isEqualTo(expected);
    }

    /** The table's rows under "### The job's topics". */
    private static List<String> table() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("..", "README.md"));
        int start = lines.indexOf("### The job's topics");
        assertThat(start).as("the README's section on the job's topics").isNotNegative();
        List<String> rows = new ArrayList<>();
        for (int i = start + 1; i < lines.size() && !lines.get(i).startsWith("#"); i++) {
            String line = lines.get(i);
            if (line.startsWith("| `")) {
                rows.add(line);
            } else if (!rows.isEmpty()) {
                break;
            }
        }
        assertThat(rows).as("rows of the table of topics").isNotEmpty();
        return rows;
    }

    /** {@code cell} split at ", " outside parentheses, each part without its parenthesis. */
    private static List<String> topLevelParts(String cell) {
        List<String> parts = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        int depth = 0;
        for (int i = 0; i < cell.length(); i++) {
            char c = cell.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (depth == 0
                    && c == ','
                    && i + 1 < cell.length()
                    && cell.charAt(i + 1) == ' ') {
                parts.add(part.toString().trim());
                part.setLength(0);
                i++;
            } else if (depth == 0) {
                part.append(c);
            }
        }
        parts.add(part.toString().trim());
        return parts;
    }
}
