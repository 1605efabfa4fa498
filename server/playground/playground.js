// The playground's behaviour, in plain browser JavaScript (no framework, no build, nothing external).
// It holds the conversation, streams each reply (over the chat websocket, or SSE when the switch is
// on; the wire is transports.js's), measures the reply's time to first token and tokens/s as chunks
// arrive, and polls /v1/stats for the server panel. It uses the public API only, as any client would.

import {createTransports} from "./transports.js";

const $ = (id) => document.getElementById(id);

const STATS_INTERVAL_MS = 1000;
const MODELS_RETRY_MS = 1000;
/** How often the reply's clock fields refresh while it streams (they also refresh on every chunk). */
const CLOCK_INTERVAL_MS = 100;

/** The messages sent with the next request: what the user wrote and the replies they got. */
const conversation = [];
/** The reply being streamed, or null. */
let current = null;
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
  if (reply.text.length > 0) conversation.push({role: "assistant", content: reply.text});
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
  conversation.push({role: "user", content: text});
  appendMessage("user", text);
  $("prompt").value = "";
  const transport = $("use-sse").checked ? "sse" : "ws";
  const body = requestBody();
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
  $("messages").replaceChildren();
}

// ---------------------------------------------------------------------------------------------------
// Models and the server panel

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

function percent(fraction) {
  return fraction === null ? "–" : `${(fraction * 100).toFixed(1)}%`;
}

function renderStats(stats) {
  const models = stats.models;
  const selected = models.find((model) => model.model === $("model").value) ?? models[0];
  if (!selected) return;
  $("stat-running").textContent = `${selected.running} / ${selected.parallel}`;
  $("stat-waiting").textContent = String(selected.waiting);
  $("stat-kv").textContent = percent(selected.kv_cache_usage);
  $("stat-kv-meter").value = selected.kv_cache_usage;
  const prefix = selected.prefix_cache;
  $("stat-prefix").textContent = `${percent(prefix.hit_rate)} (${prefix.hit_tokens} / ${prefix.queried_tokens} tokens)`;
  $("stat-variants").replaceChildren(...selected.variants.map((variant) => {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = variant.variant;
    const share = document.createElement("span");
    const count = variant.finished_requests;
    share.textContent = `${percent(variant.share)} · ${count} request${count === 1 ? "" : "s"}`;
    item.append(name, share);
    return item;
  }));
}

/** Each unfinished batch: its status and answered requests over its total, with a meter. */
function renderBatches(batches) {
  const list = $("stat-batches");
  if (!batches || batches.length === 0) {
    const item = document.createElement("li");
    item.textContent = batches ? "none running" : "not served";
    list.replaceChildren(item);
    return;
  }
  list.replaceChildren(...batches.map((batch) => {
    const counts = batch.request_counts;
    const answered = counts.completed + counts.failed;
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = `${batch.id.slice(0, 14)}… ${batch.status}`;
    name.title = batch.id;
    const progress = document.createElement("span");
    const meter = document.createElement("meter");
    meter.max = Math.max(1, counts.total);
    meter.value = answered;
    progress.append(meter, ` ${answered} / ${counts.total}`);
    item.append(name, progress);
    return item;
  }));
}

async function pollStats() {
  try {
    const response = await fetch("/v1/stats");
    if (response.ok) {
      const stats = await response.json();
      renderStats(stats);
      renderBatches(stats.batches);
      $("stats-age").textContent = `updated ${new Date().toLocaleTimeString()}`;
    }
  } catch {
    $("stats-age").textContent = "unreachable";
  }
  setTimeout(pollStats, STATS_INTERVAL_MS);
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
void pollStats();
