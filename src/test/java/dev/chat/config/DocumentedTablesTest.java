package dev.chat.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.protocol.CloseCode;
import dev.chat.protocol.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Operators and client authors read the README's tables and {@code deploy/chat.env.example}, not
 * the code: every setting the code reads, every close code and every error code is in them, and
 * nothing else is, so neither can drift from the code unnoticed.
 */
class DocumentedTablesTest {
    private static final Path README = Path.of("README.md");
    private static final Pattern SETTING = Pattern.compile("\"(CHAT_[A-Z0-9_]+)\"");

    /** The settings the code reads: every CHAT_ name quoted in the config package's sources, the retired ones aside. */
    private static Set<String> settingsInTheCode() throws IOException {
        Set<String> names = new TreeSet<>();
        try (var files = Files.list(Path.of("src/main/java/dev/chat/config"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = SETTING.matcher(Files.readString(f));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        names.removeAll(ChatConfig.RETIRED.keySet());
        return names;
    }

    /** The lines of the README section that starts with {@code heading}, up to the next heading of that level or higher. */
    private static List<String> section(String heading) throws IOException {
        List<String> lines = Files.readAllLines(README);
        int level = heading.indexOf(' ');
        int start = lines.indexOf(heading);
        int end = start + 1;
        while (end < lines.size() && !(lines.get(end).startsWith("#") && lines.get(end).indexOf(' ') <= level)) {
            end++;
        }
        return lines.subList(start + 1, end);
    }

    /** The first column of a markdown table's body rows in that section. */
    private static List<List<String>> rows(String heading) throws IOException {
        return section(heading).stream().filter(l -> l.startsWith("| ") && !l.startsWith("|---"))
                .map(l -> Arrays.stream(l.substring(1, l.length() - 1).split("\\|")).map(String::trim).toList())
                .skip(1) // the header
                .toList();
    }

    @Test
    void theConfigurationTableListsEverySettingTheCodeReadsAndNoOther() throws IOException {
        Set<String> documented = new TreeSet<>();
        for (List<String> row : rows("## Configuration")) {
            if (row.size() > 1 && !row.get(1).equals("retired")) {
                Matcher m = Pattern.compile("`(CHAT_[A-Z0-9_]+)`").matcher(row.get(0));
                while (m.find()) {
                    documented.add(m.group(1));
                }
            }
        }
        assertEquals(settingsInTheCode(), documented);
    }

    @Test
    void theExampleEnvironmentFileNamesEverySetting() throws IOException {
        Set<String> named = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^#?\\s*(CHAT_[A-Z0-9_]+)=").matcher(Files.readString(Path.of("deploy/chat.env.example")));
        while (m.find()) {
            named.add(m.group(1));
        }
        assertEquals(settingsInTheCode(), named);
    }

    @Test
    void theCloseCodeTableIsTheCodesTable() throws IOException {
        List<String> documented = rows("### Close codes").stream().map(r -> r.get(0) + " " + r.get(1) + " " + r.get(2)).toList();
        List<String> code = Arrays.stream(CloseCode.values()).map(c -> c.code() + " " + c.label() + " " + (c.reconnect() ? "yes" : "no")).toList();
        assertEquals(code, documented);
    }

    @Test
    void theErrorCodeTableIsTheCodesTable() throws IOException {
        Set<String> documented = rows("### Error codes").stream().map(r -> r.get(0).replace("`", "")).collect(Collectors.toCollection(TreeSet::new));
        Set<String> code = Arrays.stream(ErrorCode.values()).map(ErrorCode::wire).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(code, documented);
    }
}
