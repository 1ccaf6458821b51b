/**
 * Webhooks: what happened in the chat, POSTed to a backend in signed batches. The stores write
 * each event to the outbox ({@code store.WebhookOutbox}) in the transaction of what it describes;
 * {@link dev.chat.webhook.WebhookDelivery} is the one sender of the cluster (a lease in the
 * database), {@link dev.chat.webhook.WebhookCodec} the one wire, {@link dev.chat.webhook.WebhookSignature}
 * the signature, and {@link dev.chat.webhook.OnlineUsers} turns this node's connections into
 * {@code user.online} and {@code user.offline} (and, in a cluster, answers the server API's
 * {@code online} for users connected elsewhere).
 */
package dev.chat.webhook;
