/**
 * Everything that speaks to Redis: {@link dev.chat.redis.RedisLink} (the client and its health),
 * {@link dev.chat.redis.RedisBus} (pub/sub between nodes), {@link dev.chat.redis.RedisPresence}
 * (who is in which room, cluster-wide), their keys and scripts, and the import of users that
 * earlier versions kept in Redis. Redis keeps only what is live; the database keeps the rest.
 */
package dev.chat.redis;
