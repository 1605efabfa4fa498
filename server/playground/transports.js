// How the playground's replies travel: one websocket per page (opened on first use, replies
// multiplexed by request_id, cancel to stop) or one SSE fetch per reply (abort to stop). Both hand
// the same chunk objects to the page through callbacks; what a reply looks like is playground.js's.

/**
 * @param handlers.onChunk (reply, chunk) for every chunk object
 * @param handlers.finish (reply, "done" | "stopped" | "error", errorMessage?) once per reply
 * @param handlers.onConnection (text, isOpen) when the websocket's state changes
 * @param handlers.onUntaggedError (errorMessage) for an error message that names no request
 */
export function createTransports({onChunk, finish, onConnection, onUntaggedError}) {
  let socket = null;
  let socketOpened = null;
  /** Replies in flight on the socket, by request_id. */
  const socketReplies = new Map();

  function connect() {
    if (socket !== null) return socketOpened;
    const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/v1/chat/completions/ws`;
    const opening = new WebSocket(url);
    socket = opening;
    onConnection("connecting", false);
    socketOpened = new Promise((resolve, reject) => {
      opening.addEventListener("open", () => resolve(opening), {once: true});
      opening.addEventListener("error", () => reject(new Error("the websocket could not connect")), {once: true});
    });
    opening.addEventListener("open", () => onConnection("connected", true));
    opening.addEventListener("message", (event) => onSocketMessage(JSON.parse(event.data)));
    opening.addEventListener("close", () => {
      socket = null;
      onConnection("closed (reopens on the next message)", false);
      for (const reply of socketReplies.values()) finish(reply, "error", "the websocket closed");
      socketReplies.clear();
    });
    return socketOpened;
  }

  function onSocketMessage(message) {
    const reply = socketReplies.get(message.request_id);
    if (reply === undefined) {
      if (message.type === "error" && message.request_id === null) onUntaggedError(message.error.message);
      return;
    }
    if (message.type === "done") {
      socketReplies.delete(message.request_id);
      if (message.usage) reply.usage = message.usage;
      finish(reply, message.cancelled ? "stopped" : "done");
    } else if (message.type === "error") {
      socketReplies.delete(message.request_id);
      finish(reply, "error", message.error.message);
    } else {
      onChunk(reply, message);
    }
  }

  async function sendOverWebsocket(reply, body) {
    let open;
    try {
      open = await connect();
    } catch (error) {
      finish(reply, "error", error.message);
      return;
    }
    socketReplies.set(reply.id, reply);
    // The server answers a cancel with the reply's "done" (cancelled: true), which ends it here.
    reply.stop = () => open.send(JSON.stringify({type: "cancel", request_id: reply.id}));
    open.send(JSON.stringify({request_id: reply.id, ...body}));
  }

  async function sendOverSse(reply, body) {
    const controller = new AbortController();
    reply.stop = () => controller.abort();
    try {
      const response = await fetch("/v1/chat/completions", {
        method: "POST",
        headers: {"content-type": "application/json"},
        body: JSON.stringify(body),
        signal: controller.signal
      });
      if (!response.ok) {
        const json = await response.json().catch(() => null);
        finish(reply, "error", json && json.error ? json.error.message : `HTTP ${response.status}`);
        return;
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = "";
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buffered += value;
        let boundary;
        while ((boundary = buffered.indexOf("\n\n")) >= 0) {
          const event = buffered.slice(0, boundary);
          buffered = buffered.slice(boundary + 2);
          const data = event.split("\n").filter((line) => line.startsWith("data: ")).map((line) => line.slice(6)).join("\n");
          if (data === "[DONE]") {
            finish(reply, "done");
            return;
          }
          if (data.length > 0) onChunk(reply, JSON.parse(data));
        }
      }
      finish(reply, "error", "the stream ended before [DONE]");
    } catch (error) {
      if (controller.signal.aborted) finish(reply, "stopped");
      else finish(reply, "error", error.message);
    }
  }

  return {sendOverWebsocket, sendOverSse};
}
