package dev.chat.redis;

import java.util.HashMap;
import java.util.Map;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/** The users earlier versions kept in Redis (hash {@code PREFIXusers}), read to import them into the database. */
public final class RedisUsers {
    private RedisUsers() {
    }

    /** Name to password hash, read with HSCAN so a big hash never blocks Redis. */
    public static Map<String, String> read(RedisLink link) {
        Map<String, String> users = new HashMap<>();
        String cursor = ScanParams.SCAN_POINTER_START;
        ScanParams params = new ScanParams().count(1000);
        do {
            String at = cursor;
            ScanResult<Map.Entry<String, String>> page = link.retried(() -> link.client().hscan(link.keys().users(), at, params));
            for (Map.Entry<String, String> e : page.getResult()) {
                users.put(e.getKey(), e.getValue());
            }
            cursor = page.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        return users;
    }
}
