// faceswap web GUI: plain JavaScript, no build step, nothing loaded from the internet.
"use strict";

const $ = (selector) => document.querySelector(selector);
const state = { project: null, jobs: new Map(), choices: null, view: "project",
  faces: [], selected: new Set(), frames: [], previewTimer: null, previewSeq: 0 };

// The token came in the link; the server has put it in a cookie, so drop it from the address bar.
if (new URLSearchParams(location.search).has("token")) {
  history.replaceState(null, "", location.pathname);
}

function show(text, ok = false) {
  const box = $("#message");
  box.textContent = text;
  box.className = ok ? "ok" : "";
  box.hidden = !text;
  if (ok) setTimeout(() => { if (box.textContent === text) box.hidden = true; }, 4000);
}

async function api(path, options = {}) {
  const init = { credentials: "same-origin", ...options };
  if (options.json !== undefined) {
    init.method = options.method || "POST";
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(options.json);
  }
  const response = await fetch(path, init);
  const type = response.headers.get("content-type") || "";
  if (!response.ok) {
    let text = `${response.status}`;
    if (type.includes("json")) {
      const body = await response.json();
      text = body.error || body.detail || text;
    } else {
      text = await response.text();
    }
    throw new Error(text);
  }
  return type.includes("json") ? response.json() : response.blob();
}

function guarded(fn) {
  return async (...args) => {
    try { return await fn(...args); } catch (err) { show(err.message); }
  };
}

// --- views -------------------------------------------------------------------------------------

function switchView(name) {
  state.view = name;
  for (const button of document.querySelectorAll("#tabs button")) {
    button.classList.toggle("active", button.dataset.view === name);
  }
  for (const section of document.querySelectorAll(".view")) {
    section.hidden = section.id !== `view-${name}`;
  }
  if (name === "train") loadTrain();
  if (name === "faces") loadFaces();
  if (name === "convert") loadConvert();
}

// --- project -----------------------------------------------------------------------------------

const PATH_FIELDS = ["source_a", "source_b", "faces_a", "faces_b", "model_dir"];

function fillSelect(select, values, current) {
  select.replaceChildren(...values.map((v) => new Option(v, v)));
  if (current !== undefined) select.value = current;
}

function renderProject() {
  const p = state.project;
  $("#project-folder").textContent = p.folder;
  for (const name of PATH_FIELDS) $(`#${name}`).value = p[name] || "";
  fillSelect($("#trainer"), state.choices.trainers, p.trainer);
  $("#extract_size").value = p.extract.size;
  $("#extract_every_n").value = p.extract.every_n;
  $("#batch_size").value = p.train.batch_size;
  $("#iterations").value = p.train.iterations;
  $("#save_interval").value = p.train.save_interval;
}

function projectChanges() {
  const changes = { trainer: $("#trainer").value,
    extract: { size: Number($("#extract_size").value), every_n: Number($("#extract_every_n").value) },
    train: { batch_size: Number($("#batch_size").value), iterations: Number($("#iterations").value),
      save_interval: Number($("#save_interval").value) } };
  for (const name of PATH_FIELDS) changes[name] = $(`#${name}`).value;
  return changes;
}

async function saveProject(extra = {}) {
  state.project = await api("/api/project", { method: "PUT", json: { ...projectChanges(), ...extra } });
  renderProject();
}

async function startJob(kind, side) {
  await saveProject();
  const job = await api("/api/jobs", { json: { kind, side } });
  state.jobs.set(job.id, job);
  renderJobs();
  show(`Queued: ${job.title}`, true);
}

// A small folder browser for the path fields.
let browserTarget = null;
async function browse(path) {
  const listing = await api(`/api/browse?path=${encodeURIComponent(path)}`);
  $("#browser").hidden = false;
  $("#browser-path").textContent = listing.path;
  $("#browser-up").onclick = guarded(() => browse(listing.parent));
  $("#browser-pick-folder").onclick = () => pick(listing.path);
  $("#browser-list").replaceChildren(...listing.entries.map((entry) => {
    const item = document.createElement("li");
    const kind = document.createElement("span");
    kind.className = `kind kind-${entry.kind}`;
    kind.textContent = entry.kind;
    item.append(kind, ` ${entry.name}${entry.kind === "folder" ? "/" : ""}`);
    item.onclick = entry.kind === "folder" ? guarded(() => browse(entry.path)) : () => pick(entry.path);
    return item;
  }));
}
function pick(path) {
  if (browserTarget) $(`#${browserTarget}`).value = path;
  $("#browser").hidden = true;
}

// --- jobs --------------------------------------------------------------------------------------

function fmtTime(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
  seconds = Math.round(seconds);
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  return `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

function jobDetails(job) {
  const p = job.progress || {};
  const parts = [];
  if (p.total !== undefined) parts.push(`${p.done}/${p.total || "?"} ${p.unit || ""}`);
  if (p.iteration !== undefined) parts.push(`iteration ${p.iteration}`);
  if (p.loss_a !== undefined) parts.push(`loss A ${p.loss_a.toFixed(5)} B ${p.loss_b.toFixed(5)}`);
  if (p.rate !== undefined) parts.push(`${p.rate.toFixed(1)} ${p.unit === "iterations" ? "examples" : "frames"}/s`);
  if (job.state === "running" && p.eta !== undefined) parts.push(`ETA ${fmtTime(p.eta)}`);
  if (job.started && job.finished) parts.push(`took ${fmtTime(job.finished - job.started)}`);
  return parts.join(" · ");
}

function renderJobs() {
  const jobs = [...state.jobs.values()].sort((a, b) => b.created - a.created);
  const rows = jobs.map((job) => {
    const row = document.createElement("tr");
    row.dataset.job = job.id;
    row.dataset.state = job.state;
    const p = job.progress || {};
    const fraction = p.total ? Math.min(1, p.done / p.total) : job.state === "done" ? 1 : 0;
    const name = document.createElement("td");
    name.textContent = job.title;
    const st = document.createElement("td");
    st.textContent = job.state + (job.stop_requested && job.state === "running" ? " (stopping…)" : "");
    st.className = `state-${job.state}`;
    const bar = document.createElement("td");
    bar.innerHTML = `<div class="bar"><div style="width:${(100 * fraction).toFixed(1)}%"></div></div>`;
    const details = document.createElement("td");
    details.className = "num details";
    details.textContent = jobDetails(job);
    if (job.error) {
      const err = document.createElement("div");
      err.className = "state-failed";
      err.textContent = job.error;
      details.append(err);
    }
    if (job.log && job.log.length && job.state !== "running") {
      const more = document.createElement("details");
      more.innerHTML = "<summary>log</summary>";
      const pre = document.createElement("pre");
      pre.className = "log";
      pre.textContent = job.log.join("\n");
      more.append(pre);
      details.append(more);
    }
    const action = document.createElement("td");
    if (job.state === "queued" || job.state === "running") {
      const stop = document.createElement("button");
      stop.textContent = job.kind === "train" ? "Stop (save)" : "Stop";
      stop.className = "stop";
      stop.disabled = job.stop_requested;
      stop.onclick = guarded(async () => {
        state.jobs.set(job.id, await api(`/api/jobs/${job.id}/stop`, { json: {} }));
        renderJobs();
      });
      action.append(stop);
    } else if (job.state !== "done") {
      const again = document.createElement("button");
      again.textContent = job.kind === "train" ? "Resume" : "Run again";
      again.onclick = guarded(async () => {
        const next = await api(`/api/jobs/${job.id}/retry`, { json: {} });
        state.jobs.set(next.id, next);
        renderJobs();
      });
      action.append(again);
    }
    row.append(name, st, bar, details, action);
    return row;
  });
  $("#jobs-table tbody").replaceChildren(...rows);
  const active = jobs.filter((j) => j.state === "running" || j.state === "queued");
  $("#jobs-badge").textContent = active.length ? String(active.length) : "";
  const running = jobs.find((j) => j.state === "running");
  $("#current-job").textContent = running ? `${running.title}: ${jobDetails(running)}` : "";
}

function connectEvents() {
  const source = new EventSource("/api/events");
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "jobs") {
      state.jobs = new Map(event.jobs.map((job) => [job.id, job]));
    } else if (event.type === "job") {
      const before = state.jobs.get(event.job.id);
      state.jobs.set(event.job.id, event.job);
      if (before && before.state !== event.job.state) jobChanged(event.job);
    } else if (event.type === "preview") {
      if (state.view === "train") { showPreview(event.mtime); drawLoss(); }
    }
    renderJobs();
  };
  // EventSource reconnects by itself; the first message after that is the full job list.
}

function jobChanged(job) {
  if (job.state === "done" && job.kind === "extract") {
    api("/api/project").then((p) => { state.project = p; renderProject(); }).catch(() => {});
    if (state.view === "faces") loadFaces();
  }
  if (job.kind === "train" && state.view === "train" && job.state !== "running") loadTrain();
}

// --- train -------------------------------------------------------------------------------------

function showPreview(mtime) {
  const img = $("#train-preview");
  img.onload = () => { img.hidden = false; $("#no-preview").hidden = true; };
  img.src = `/api/train/preview?t=${mtime}`;
}

async function drawLoss() {
  const history = await api("/api/train/history");
  const canvas = $("#loss-graph");
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, left = 60, bottom = 24, top = 10, right = 10;
  ctx.clearRect(0, 0, w, h);
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = "#5f6b7a";
  const xs = history.iterations;
  if (!xs.length) {
    ctx.fillText("No loss history yet.", left, h / 2);
    return;
  }
  const values = history.loss_a.concat(history.loss_b).filter(Number.isFinite);
  let lo = Math.min(...values), hi = Math.max(...values);
  if (hi === lo) { hi += 1e-3; lo -= 1e-3; }
  const x0 = xs[0], x1 = xs[xs.length - 1] === x0 ? x0 + 1 : xs[xs.length - 1];
  const px = (x) => left + (w - left - right) * (x - x0) / (x1 - x0);
  const py = (y) => top + (h - top - bottom) * (1 - (y - lo) / (hi - lo));
  ctx.strokeStyle = "#d9dee5";
  ctx.strokeRect(left, top, w - left - right, h - top - bottom);
  ctx.fillText(hi.toPrecision(3), 4, top + 10);
  ctx.fillText(lo.toPrecision(3), 4, h - bottom);
  ctx.fillText(String(x0), left, h - 6);
  ctx.fillText(String(x1), w - right - 40, h - 6);
  for (const [series, colour, label, offset] of [[history.loss_a, "#2563eb", "loss A", 0],
    [history.loss_b, "#e07b00", "loss B", 70]]) {
    ctx.strokeStyle = colour;
    ctx.beginPath();
    series.forEach((y, i) => (i ? ctx.lineTo(px(xs[i]), py(y)) : ctx.moveTo(px(xs[i]), py(y))));
    ctx.stroke();
    ctx.fillStyle = colour;
    ctx.fillText(label, w - right - 140 + offset, top + 14);
  }
}

function optionInput(option) {
  let input;
  if (option.choices) {
    input = document.createElement("select");
    fillSelect(input, option.choices.map(String), String(option.value));
  } else if (typeof option.default === "boolean") {
    input = document.createElement("input");
    input.type = "checkbox";
    input.checked = Boolean(option.value);
  } else {
    input = document.createElement("input");
    input.type = typeof option.default === "number" ? "number" : "text";
    if (input.type === "number") input.step = "any";
    input.value = option.value;
  }
  input.dataset.option = option.name;
  input.disabled = option.fixed && option.stored;
  input.onchange = guarded(async () => {
    let value = input.type === "checkbox" ? input.checked
      : input.type === "number" ? Number(input.value) : input.value;
    if (option.choices && typeof option.default === "number") value = Number(value);
    const config = { ...(state.project.train.config || {}) };
    config[option.name] = value;
    state.project = await api("/api/project", { method: "PUT", json: { train: { config } } });
  });
  return input;
}

async function loadTrain() {
  renderProject();
  const model = await api("/api/train/model");
  $("#model-summary").textContent = model.exists
    ? `${model.trainer} model in ${model.folder}: ${model.iterations} iterations over ${model.sessions} session(s).`
    : `New ${model.trainer} model in ${model.folder} (created by the first training job).`;
  if (model.preview) showPreview(model.preview); else { $("#train-preview").hidden = true; $("#no-preview").hidden = false; }
  $("#options-table tbody").replaceChildren(...model.options.map((option) => {
    const row = document.createElement("tr");
    const name = document.createElement("td");
    name.textContent = option.name;
    name.title = option.help;
    const value = document.createElement("td");
    value.append(optionInput(option));
    const def = document.createElement("td");
    def.textContent = String(option.default);
    const help = document.createElement("td");
    help.className = "hint";
    help.textContent = (option.fixed ? "fixed · " : "") + option.help;
    row.append(name, value, def, help);
    return row;
  }));
  await drawLoss();
}

// --- faces -------------------------------------------------------------------------------------

function faceSide() {
  return document.querySelector("input[name=face-side]:checked").value;
}

async function loadFaces() {
  const listing = await api(`/api/faces/${faceSide()}`);
  state.faces = listing.faces;
  state.selected.clear();
  $("#faces-info").textContent = `${listing.faces.length} faces in ${listing.folder}`;
  $("#faces-grid").replaceChildren(...listing.faces.map((name) => {
    const tile = document.createElement("div");
    tile.className = "face";
    tile.dataset.name = name;
    const img = document.createElement("img");
    img.loading = "lazy";
    img.alt = name;
    img.src = `/api/faces/${faceSide()}/thumb?name=${encodeURIComponent(name)}`;
    const caption = document.createElement("div");
    caption.textContent = name;
    tile.append(img, caption);
    tile.onclick = () => {
      if (state.selected.has(name)) state.selected.delete(name); else state.selected.add(name);
      tile.classList.toggle("selected", state.selected.has(name));
      updateDeleteButton();
    };
    return tile;
  }));
  updateDeleteButton();
}

function updateDeleteButton() {
  const button = $("#faces-delete");
  button.disabled = state.selected.size === 0;
  button.textContent = state.selected.size ? `Delete ${state.selected.size} selected` : "Delete selected";
}

async function deleteFaces() {
  const names = [...state.selected];
  if (!confirm(`Delete ${names.length} face(s) and drop them from the alignments file?`)) return;
  const result = await api(`/api/faces/${faceSide()}/delete`, { json: { names } });
  const dropped = result.alignments ? `; ${result.alignments.removed.length} dropped from the alignments file` : "; no alignments file to update";
  show(`Deleted ${result.deleted.length} face(s)${dropped}.`, true);
  await loadFaces();
}

// --- convert -----------------------------------------------------------------------------------

const CONVERT_FIELDS = ["color", "mask", "blur", "kernel_size", "erosion", "sharpen", "sharpen_amount", "output"];

function convertSettings() {
  const settings = {};
  for (const name of CONVERT_FIELDS) {
    const input = $(`#${name}`);
    settings[name] = input.type === "range" ? Number(input.value) : input.value;
  }
  return settings;
}

function showRangeValues() {
  for (const name of ["kernel_size", "erosion", "sharpen_amount"]) {
    $(`#${name}_out`).textContent = $(`#${name}`).value;
  }
}

async function loadConvert() {
  const c = state.project.convert;
  fillSelect($("#color"), state.choices.colors, c.color);
  fillSelect($("#mask"), state.choices.masks, c.mask);
  fillSelect($("#blur"), state.choices.blurs, c.blur);
  fillSelect($("#sharpen"), state.choices.sharpen, c.sharpen);
  for (const name of ["kernel_size", "erosion", "sharpen_amount", "output"]) $(`#${name}`).value = c[name];
  showRangeValues();
  const { frames } = await api("/api/convert/frames");
  state.frames = frames;
  // A slider, not a list: a video has thousands of frames.
  const slider = $("#frame");
  slider.max = String(Math.max(0, frames.length - 1));
  const first = frames.find((f) => f.faces > 0);
  slider.value = first ? String(first.index) : "0";
  if (frames.length) refreshConvert(true);
}

function refreshConvert(frameChanged = false) {
  showRangeValues();
  const frame = state.frames[Number($("#frame").value)];
  if (frame) $("#frame_out").textContent = `${frame.index}: ${frame.key} (${frame.faces} face${frame.faces === 1 ? "" : "s"})`;
  clearTimeout(state.previewTimer);
  state.previewTimer = setTimeout(guarded(async () => {
    const index = Number($("#frame").value);
    if (frameChanged) $("#frame-original").src = `/api/convert/frame/${index}`;
    const seq = ++state.previewSeq;
    const blob = await api("/api/convert/preview", { json: { index, settings: convertSettings() } });
    if (seq !== state.previewSeq) return; // a newer preview is on its way
    const img = $("#frame-swapped");
    if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(blob);
    img.dataset.seq = String(seq);
  }), 200);
}

async function convertAll() {
  state.project = await api("/api/project", { method: "PUT", json: { convert: convertSettings() } });
  await startJob("convert", "a");
}

// --- start -------------------------------------------------------------------------------------

async function start() {
  [state.project, state.choices] = await Promise.all([api("/api/project"), api("/api/choices")]);
  renderProject();
  for (const button of document.querySelectorAll("#tabs button")) {
    button.onclick = guarded(() => switchView(button.dataset.view));
  }
  $("#save-project").onclick = guarded(async () => { await saveProject(); show("Project saved.", true); });
  $("#extract-a").onclick = guarded(() => startJob("extract", "a"));
  $("#extract-b").onclick = guarded(() => startJob("extract", "b"));
  $("#start-train").onclick = guarded(() => startJob("train", "a"));
  for (const button of document.querySelectorAll(".browse")) {
    button.onclick = guarded(() => { browserTarget = button.dataset.for; return browse($(`#${button.dataset.for}`).value || "."); });
  }
  $("#browser-close").onclick = () => { $("#browser").hidden = true; };
  for (const radio of document.querySelectorAll("input[name=face-side]")) radio.onchange = guarded(loadFaces);
  $("#faces-reload").onclick = guarded(loadFaces);
  $("#faces-delete").onclick = guarded(deleteFaces);
  $("#frame").oninput = () => refreshConvert(true);
  for (const name of CONVERT_FIELDS.filter((n) => n !== "output")) $(`#${name}`).oninput = () => refreshConvert();
  $("#convert-all").onclick = guarded(convertAll);
  connectEvents();
}

guarded(start)();
