package dev.chat.testing;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

/**
 * Hostile frames for the fuzz tests ({@code HostileInputTest} in-process, {@code FuzzLongIT}
 * against the jar), drawn from a seeded {@link Random} so a failing run can be replayed: none of
 * them is a request the server can carry out, so each must be answered with an {@code error}.
 */
public final class HostileFrames {
    private HostileFrames() {
    }

    /** A text frame (valid UTF-8, within the frame limit) that is not a request the server can carry out. */
    public static String text(Random r) {
        return switch (r.nextInt(12)) {
            case 0 -> randomPrintable(r, r.nextInt(200));
            case 1 -> {
                String valid = "{\"type\":\"send\",\"room\":\"r" + r.nextInt(100) + "\",\"text\":\"hi\",\"id\":\"x\"}";
                yield valid.substring(0, r.nextInt(valid.length() - 1)); // truncated
            }
            case 2 -> {
                int depth = 17 + r.nextInt(3_000);
                String open = r.nextBoolean() ? "[" : "{\"a\":";
                yield "{\"type\":\"join\",\"room\":\"r\",\"x\":" + open.repeat(depth / open.length() + 1);
            }
            case 3 -> {
                String huge = r.nextBoolean() ? "1e" + (100_000 + r.nextInt(1_000_000)) : "9".repeat(1 + r.nextInt(6_000));
                String field = List.of("id", "room", "type", "text").get(r.nextInt(4));
                yield "{\"type\":\"send\",\"room\":\"r\",\"text\":\"t\",\"" + field + "\":" + huge + "}";
            }
            case 4 -> r.nextBoolean()
                    ? "{\"type\":\"" + "t".repeat(1 + r.nextInt(7_000)) + "\"}"
                    : "{\"type\":\"join\",\"room\":\"" + "r".repeat(65 + r.nextInt(7_000)) + "\"}";
            case 5 -> {
                char control = (char) r.nextInt(0x20);
                yield "{\"type\":\"send\",\"room\":\"r\",\"text\":\"a" + control + "b\"" + (r.nextBoolean() ? "," + control : "") + "}";
            }
            case 6 -> wrongTypes(r);
            case 7 -> switch (r.nextInt(3)) { // well-formed requests that must still fail
                case 0 -> "{\"type\":\"leave\",\"room\":\"never-joined\",\"id\":\"l\"}";
                case 1 -> "{\"type\":\"send\",\"room\":\"never-joined\",\"text\":\"hi\"}";
                default -> "{\"type\":\"refresh\",\"token\":\"" + randomPrintable(r, 1 + r.nextInt(40)).replaceAll("[\"\\\\]", "x") + "\"}";
            };
            case 8 -> List.of("[]", "[{\"type\":\"join\",\"room\":\"r\"}]", "42", "-0.0e-7", "\"join\"", "true", "null", "", " ")
                    .get(r.nextInt(9));
            case 9 -> "{\"type\":\"join\",\"room\":\"r\"}" + List.of("{}", " x", ",", "]", "\n{\"type\":\"join\",\"room\":\"s\"}").get(r.nextInt(5));
            case 10 -> randomUnicode(r, r.nextInt(300));
            default -> "{\"type\":\"" + List.of("Join", "SEND", "leave ", "ping", "refreshed", "message", "welcome").get(r.nextInt(7))
                    + "\",\"room\":\"r\",\"text\":\"t\"}";
        };
    }

    private static String wrongTypes(Random r) {
        List<String> values = List.of("1", "-1.5", "true", "false", "null", "[]", "{}", "[\"r\"]", "{\"room\":\"r\"}", "\"\"");
        String v = values.get(r.nextInt(values.size()));
        return switch (r.nextInt(5)) {
            case 0 -> "{\"type\":\"join\",\"room\":" + v + "}";
            case 1 -> "{\"type\":\"send\",\"room\":\"r\",\"text\":" + v + "}";
            case 2 -> "{\"type\":" + v + ",\"room\":\"r\"}";
            case 3 -> "{\"type\":\"join\",\"room\":\"r\",\"id\":" + (v.equals("null") ? "7" : v.startsWith("\"") ? "\"" + "i".repeat(65) + "\"" : v) + "}";
            default -> "{\"type\":\"refresh\",\"token\":" + v + "}";
        };
    }

    private static String randomPrintable(Random r, int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append((char) (0x20 + r.nextInt(0x5F)));
        }
        return s.toString();
    }

    /** Code points from every plane, never a lone surrogate (that would not be valid UTF-8). */
    private static String randomUnicode(Random r, int length) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int cp = r.nextInt(0x110000);
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = '{';
            }
            s.appendCodePoint(cp);
        }
        return s.toString();
    }

    /** A send whose text holds one invalid UTF-8 sequence (overlong, surrogate, truncated, out of range). */
    public static byte[] invalidUtf8(Random r) {
        byte[][] bad = {
            {(byte) 0xC3, 0x28}, {(byte) 0xFF}, {(byte) 0xFE}, {(byte) 0xC0, (byte) 0xAF},
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            {(byte) 0xE2, (byte) 0x82}, {(byte) 0x80}};
        byte[] head = "{\"type\":\"send\",\"room\":\"r\",\"text\":\"".getBytes(StandardCharsets.UTF_8);
        byte[] mid = bad[r.nextInt(bad.length)];
        byte[] tail = "\"}".getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[head.length + mid.length + tail.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(mid, 0, out, head.length, mid.length);
        System.arraycopy(tail, 0, out, head.length + mid.length, tail.length);
        return out;
    }
}
