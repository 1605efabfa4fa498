// The playground's behaviour, in plain browser JavaScript (no framework, no build, nothing external).
// It holds the conversation, streams each reply (over the chat websocket, or SSE when the switch is
// on; the wire is transports.js's), measures the reply's time to first token and tokens/s as chunks
// arrive, shows the calls of a reply given tools (toolCalls.js), and starts the server panel
// (serverPanel.js). It uses the public API only, as any client would.

import {assistantTurn, createCallList, resultTurns, toolFields} from "./toolCalls.js";
import {startServerPanel} from "./serverPanel.js";
import {createTransports} from "./transports.js";

const $ = (id) => document.getElementById(id);

const MODELS_RETRY_MS = 1000;
/** How often the reply's clock fields refresh while it streams (they also refresh on every chunk). */
const CLOCK_INTERVAL_MS = 100;

/** The messages sent with the next request: what the user wrote and the replies they got. */
const conversation = [];
/** The reply being streamed, or null. */
let current = null;
/** Calls of the last reply that the user's next message answers (sent as their results). */
let pendingCalls = [];
let nextRequestNumber = 1;

// ---------------------------------------------------------------------------------------------------
// Rendering

function appendMessage(role, text) {
  const item = document.createElement("li");
  item.className = role;
  const label = document.createElement("div");
  label.className = "role";
  label.textContent = role;
  const content = document.createElement("div");
  content.className = "content";
  // One text node that chunks are appended to: no re-parsing of what was already shown.
  const textNode = document.createTextNode(text);
  content.append(textNode);
  item.append(label, content);
  $("messages").append(item);
  item.scrollIntoView({block: "end"});
  return {item, textNode};
}

function addNote(item, text) {
  const note = document.createElement("div");
  note.className = "note";
  note.textContent = text;
  item.append(note);
}

function setBusy(isBusy) {
  $("send").disabled = isBusy;
  $("stop").disabled = !isBusy;
}

function formatMs(ms) {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function renderReplyStats(reply) {
  const now = performance.now();
  $("reply-status").textContent = reply.status;
  $("reply-transport").textContent = reply.transport === "ws" ? "websocket" : "SSE";
  $("reply-ttft").textContent = reply.firstTokenMs === null
    ? (reply.isFinished ? "–" : `waiting… ${formatMs(now - reply.startMs)}`)
    : formatMs(reply.firstTokenMs - reply.startMs);
  // Content chunks are tokens, except where a multi-byte character spans two; usage, once it comes, is exact.
  const numTokens = reply.usage ? reply.usage.completion_tokens : reply.numChunks;
  $("reply-tokens").textContent = String(numTokens);
  const decodeEndMs = reply.isFinished ? reply.lastChunkMs : now;
  const isRateKnown = reply.firstTokenMs !== null && numTokens >= 2 && decodeEndMs > reply.firstTokenMs;
  $("reply-tps").textContent = isRateKnown ? ((numTokens - 1) / ((decodeEndMs - reply.firstTokenMs) / 1000)).toFixed(1) : "–";
}

// ---------------------------------------------------------------------------------------------------
// One reply, whatever the transport

function createReply(transport) {
  const {item, textNode} = appendMessage("assistant", "");
  item.classList.add("streaming");
  const reply = {
    id: `r${nextRequestNumber++}`,
    transport,
    item,
    textNode,
    callList: createCallList(item),
    text: "",
    status: "waiting for the first token",
    startMs: performance.now(),
    firstTokenMs: null,
    lastChunkMs: null,
    numChunks: 0,
    usage: null,
    isFinished: false,
    /** Set by the transport: asks the server to stop this reply. */
    stop: () => {},
    clock: 0
  };
  reply.clock = setInterval(() => renderReplyStats(reply), CLOCK_INTERVAL_MS);
  renderReplyStats(reply);
  return reply;
}

/** Reads one chunk object (the same from the websocket and from SSE). */
function onChunk(reply, chunk) {
  if (reply.isFinished) return;
  if (chunk.error) {
    finishReply(reply, "error", chunk.error.message);
    return;
  }
  const choice = chunk.choices && chunk.choices[0];
  const text = choice && choice.delta ? choice.delta.content : undefined;
  if (text) {
    const now = performance.now();
    if (reply.firstTokenMs === null) reply.firstTokenMs = now;
    reply.lastChunkMs = now;
    reply.numChunks++;
    reply.text += text;
    reply.textNode.appendData(text);
    if (reply.status.startsWith("waiting")) reply.status = "streaming";
  }
  const toolCalls = choice && choice.delta ? choice.delta.tool_calls : undefined;
  if (toolCalls) {
    if (reply.firstTokenMs === null) reply.firstTokenMs = performance.now();
    reply.lastChunkMs = performance.now();
    reply.numChunks++;
    reply.callList.add(toolCalls);
    if (reply.status.startsWith("waiting")) reply.status = "streaming";
  }
  if (choice && choice.finish_reason) reply.finishReason = choice.finish_reason;
  if (chunk.usage) reply.usage = chunk.usage;
  renderReplyStats(reply);
}

/** Ends a reply once: "done", "stopped" or "error" (with a message). */
function finishReply(reply, outcome, detail) {
  if (reply.isFinished) return;
  reply.isFinished = true;
  clearInterval(reply.clock);
  reply.item.classList.remove("streaming");
  if (outcome === "error") {
    reply.item.classList.add("error");
    reply.status = `error: ${detail}`;
    addNote(reply.item, detail);
  } else if (outcome === "stopped") {
    reply.status = "stopped";
    addNote(reply.item, "stopped");
  } else {
    reply.status = `done (${reply.finishReason ?? "stop"})`;
  }
  const {calls} = reply.callList;
  if (calls.length > 0 && outcome === "done") {
    conversation.push(assistantTurn(reply.text, calls));
    pendingCalls = calls;
    addNote(reply.item, `your next message is sent as the result of ${calls.map((call) => call.name).join(", ")}`);
  } else if (reply.text.length > 0) {
    conversation.push({role: "assistant", content: reply.text});
  }
  renderReplyStats(reply);
  if (current === reply) {
    current = null;
    setBusy(false);
  }
}

// ---------------------------------------------------------------------------------------------------
// The transports

function setConnection(text, isOpen) {
  const element = $("connection");
  element.textContent = `websocket: ${text}`;
  element.classList.toggle("open", isOpen);
}

const transports = createTransports({
  onChunk,
  finish: finishReply,
  onConnection: setConnection,
  // An error naming no request (a message the server could not read) can only be about the current one.
  onUntaggedError: (message) => current && finishReply(current, "error", message)
});

// ---------------------------------------------------------------------------------------------------
// The composer

function requestBody() {
  const messages = [];
  const system = $("system").value.trim();
  if (system) messages.push({role: "system", content: system});
  messages.push(...conversation);
  const body = {messages, stream: true, stream_options: {include_usage: true}};
  const model = $("model").value;
  if (model) body.model = model;
  const maxTokens = Number.parseInt($("max-tokens").value, 10);
  if (maxTokens > 0) body.max_tokens = maxTokens;
  const temperature = Number.parseFloat($("temperature").value);
  if (temperature >= 0 && temperature <= 2) body.temperature = temperature;
  return body;
}

function send(event) {
  event.preventDefault();
  const text = $("prompt").value.trim();
  if (current !== null || text.length === 0) return;
  let fields;
  try {
    fields = toolFields();
  } catch (error) {
    addNote(appendMessage("error", "").item, error.message);
    return;
  }
  conversation.push(...(pendingCalls.length > 0 ? resultTurns(pendingCalls, text) : [{role: "user", content: text}]));
  appendMessage(pendingCalls.length > 0 ? "tool" : "user", text);
  pendingCalls = [];
  $("prompt").value = "";
  const transport = $("use-sse").checked ? "sse" : "ws";
  const body = {...requestBody(), ...fields};
  current = createReply(transport);
  setBusy(true);
  if (transport === "ws") void transports.sendOverWebsocket(current, body);
  else void transports.sendOverSse(current, body);
}

function stop() {
  if (current === null || current.isFinished) return;
  current.status = "stopping";
  renderReplyStats(current);
  current.stop();
}

function clear() {
  stop();
  conversation.length = 0;
  pendingCalls = [];
  $("messages").replaceChildren();
}

// ---------------------------------------------------------------------------------------------------
// Models

async function loadModels() {
  const select = $("model");
  try {
    const response = await fetch("/v1/models");
    const {data} = await response.json();
    if (data.length === 0) throw new Error("the model is loading");
    select.replaceChildren(...data.map((model) => new Option(`${model.id} (${model.max_model_len} tokens)`, model.id)));
  } catch {
    select.replaceChildren(new Option("loading…", ""));
    setTimeout(loadModels, MODELS_RETRY_MS);
  }
}

$("composer").addEventListener("submit", send);
$("stop").addEventListener("click", stop);
$("clear").addEventListener("click", clear);
$("prompt").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    $("composer").requestSubmit();
  }
});
void loadModels();
startServerPanel();
