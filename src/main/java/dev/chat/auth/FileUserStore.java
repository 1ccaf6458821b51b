package dev.chat.auth;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Users in {@code users.json} under the data directory: where a single node kept them before the
 * database, read now only to import them ({@link #all}), and written by tests that seed users. Every
 * registration rewrites the file through a temporary file and an atomic rename, so a crash leaves
 * the old or the new file, never half of one. Registration is rare; reads never touch the disk.
 */
public final class FileUserStore implements UserStore {
    private static final Type MAP_TYPE = new TreeMap<String, String>() { }.getClass().getGenericSuperclass();

    private final Path file;
    private final Map<String, String> users = new ConcurrentHashMap<>();
    private final Jsonb jsonb = JsonbBuilder.create();

    public FileUserStore(Path dataDir) {
        this.file = dataDir.resolve("users.json");
        try {
            Files.createDirectories(dataDir);
            if (Files.exists(file)) {
                Map<String, String> stored = jsonb.fromJson(Files.readString(file, StandardCharsets.UTF_8), MAP_TYPE);
                users.putAll(stored);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read users from " + file.toAbsolutePath(), e);
        }
    }

    @Override
    public synchronized boolean create(String username, String passwordHash) {
        if (users.putIfAbsent(username, passwordHash) != null) {
            return false;
        }
        try {
            write();
        } catch (IOException e) {
            users.remove(username);
            throw new UncheckedIOException("cannot write users to " + file.toAbsolutePath(), e);
        }
        return true;
    }

    @Override
    public Optional<String> passwordHash(String username) {
        return Optional.ofNullable(users.get(username));
    }

    /** Every user, name to password hash. */
    public Map<String, String> all() {
        return Map.copyOf(users);
    }

    /** Whether the directory has a {@code users.json} at all (nothing to import otherwise). */
    public static boolean presentIn(Path dataDir) {
        return Files.exists(dataDir.resolve("users.json"));
    }

    private void write() throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, jsonb.toJson(new TreeMap<>(users)), StandardCharsets.UTF_8);
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
