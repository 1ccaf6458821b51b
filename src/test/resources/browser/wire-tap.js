// Installed by Browser.tapWire() before any script of the page runs (DevTools'
// Page.addScriptToEvaluateOnNewDocument, which the page's CSP does not govern). It lets a test see
// every frame and drop or rewrite server objects before the page gets them, as a lossy path or a
// server with other settings would: window.wireTap.rule = (obj) => obj (kept), another object
// (rewritten) or null (dropped). `received` is what the server sent, `sent` what the page sent.
(() => {
  const Native = window.WebSocket;
  const tap = (window.wireTap = { rule: null, received: [], sent: [], changed: [] });
  const redispatched = new WeakSet();

  class TappedWebSocket extends Native {
    constructor(...args) {
      super(...args);
      // Registered before the page's own listener, so it runs first and can hold the event back.
      this.addEventListener("message", (event) => {
        if (redispatched.has(event)) return;
        event.stopImmediatePropagation();
        const kept = [];
        for (const line of String(event.data).split("\n")) {
          if (!line.trim()) continue;
          const obj = JSON.parse(line);
          tap.received.push(obj);
          const out = tap.rule ? tap.rule(obj) : obj;
          if (out !== obj) tap.changed.push({ from: obj, to: out ?? null });
          if (out) kept.push(JSON.stringify(out));
        }
        if (!kept.length) return;
        const copy = new MessageEvent("message", { data: kept.join("\n") });
        redispatched.add(copy);
        this.dispatchEvent(copy);
      });
    }

    send(data) {
      tap.sent.push(JSON.parse(data));
      super.send(data);
    }
  }

  window.WebSocket = TappedWebSocket;
})();
