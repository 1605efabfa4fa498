// The server panel of the playground: polls /v1/stats once a second and shows the selected model's
// running and waiting requests, KV cache use, prefix-cache hits, variant split, and unfinished batches.

const $ = (id) => document.getElementById(id);

const STATS_INTERVAL_MS = 1000;

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

export function startServerPanel() {
  void pollStats();
}
