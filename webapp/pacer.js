// Paces the page's own messages within the server's rate limit per connection.
//
// The server drops frames over its token bucket (CHAT_RATE_PER_SEC, CHAT_RATE_BURST, served by
// GET /api/protocol as `rate`) with `rate_limited`, and closes a connection that keeps on (4003).
// After an outage the page has every message without an ack to send again, and every message
// written offline, at once, on top of a join per room. The server does not charge resends of ids
// it committed (on the node that committed them), but messages it never saw, and resends that
// reach another node, pay. So own messages get half the bucket (half the burst at once, then half
// the rate), and the joins and history requests of a reconnect always have the other half.

const DEFAULT_RATE = Object.freeze({ perSec: 20, burst: 40 });

/**
 * A token bucket in front of a send function, with a queue.
 *   send(item) -> true when the item went out (it costs a token), false when it had nothing to
 *                 send any more (acked meanwhile, its conversation not ready, the socket closed):
 *                 it is dropped, and whoever queues it again when its conversation is back.
 */
export class SendPacer {
  #send;
  #perMs = 0;
  #burst = 1;
  #tokens = 1;
  #last = 0;
  #queue = new Set();
  #timer = 0;

  constructor(send, rate = null) {
    this.#send = send;
    this.setRate(rate);
    this.#tokens = this.#burst;
    this.#last = performance.now();
  }

  /** The server's bucket, `{perSec, burst}` (anything else: the server's defaults). */
  setRate(rate) {
    const r = rate && Number.isInteger(rate.perSec) && Number.isInteger(rate.burst) && rate.perSec > 0 && rate.burst > 0
      ? rate : DEFAULT_RATE;
    this.#burst = Math.max(1, Math.floor(r.burst / 2));
    this.#perMs = Math.max(r.perSec / 2, 0.5) / 1000;
    this.#tokens = Math.min(this.#tokens, this.#burst);
  }

  /** A new connection: the server's bucket for it starts full. */
  reset() {
    this.#tokens = this.#burst;
    this.#last = performance.now();
    this.#drain();
  }

  /** Queues an item (once, however often it is pushed) and sends what the bucket allows now. */
  push(item) {
    this.#queue.add(item);
    this.#drain();
  }

  clear() {
    this.#queue.clear();
    clearTimeout(this.#timer);
    this.#timer = 0;
  }

  get queued() {
    return this.#queue.size;
  }

  #drain() {
    const now = performance.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#perMs);
    this.#last = now;
    for (const item of this.#queue) {
      if (this.#tokens < 1) break;
      this.#queue.delete(item);
      if (this.#send(item)) this.#tokens -= 1;
    }
    if (this.#queue.size > 0 && !this.#timer) {
      const wait = Math.ceil((1 - this.#tokens) / this.#perMs);
      this.#timer = setTimeout(() => {
        this.#timer = 0;
        this.#drain();
      }, Math.max(wait, 1));
    }
  }
}
