// The server page: polls /api/devices; for each numeric datastream on screen whose points
// changed, fetches the visible time range downsampled to the chart's width (min/max per pixel
// column, /api/chart) and draws it with uPlot. All times are UTC. Plain browser JavaScript.
"use strict";

const POLL_MS = 1500;
const GAP_FACTOR = 3;
const CHART_WIDTH = 440;
const CHART_HEIGHT = 180;
const LIST_ROWS = 20;
const NUMERIC = ["integer", "double", "boolean", "enum"];
/** Fields of the status line the panel shows first, in this order (the rest follow). */
const PANEL_FIRST = ["queue", "drops", "clock", "uplink"];

/** key "deviceId/pin" -> { card, chart, version, visible, zoom } */
const streams = new Map();
/** The uPlot instances by "deviceId/pin", for tests and the console. */
window.spoolCharts = {};
const root = document.getElementById("devices");
const statusEl = document.getElementById("status");
const onScreen = new IntersectionObserver((entries) => {
  for (const e of entries) {
    const s = streams.get(e.target.dataset.key);
    if (!s) continue;
    s.visible = e.isIntersecting;
    if (s.visible && s.stale) refresh(s);
  }
});

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** "2026-03-01 12:00:05" in UTC, the page's one time zone. */
function utc(ms) {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

/** Columns [t0, t1, min, max, n] -> uPlot data [x, min, max], with a null wherever consecutive
 *  columns are much farther apart than the median, so real loss shows as a gap. */
function toData(columns) {
  const gaps = [];
  for (let i = 1; i < columns.length; i++) gaps.push(columns[i][0] - columns[i - 1][0]);
  gaps.sort((a, b) => a - b);
  const median = gaps.length ? gaps[Math.floor(gaps.length / 2)] : 0;
  const xs = [];
  const lo = [];
  const hi = [];
  for (let i = 0; i < columns.length; i++) {
    const [t0, , min, max] = columns[i];
    if (i > 0 && median > 0 && t0 - columns[i - 1][0] > GAP_FACTOR * median) {
      xs.push((columns[i - 1][0] + t0) / 2000);
      lo.push(null);
      hi.push(null);
    }
    xs.push(t0 / 1000);
    lo.push(min);
    hi.push(max);
  }
  return [xs, lo, hi];
}

function describe(ds) {
  const range = ds.min !== null || ds.max !== null ? `, ${ds.min ?? "−∞"}…${ds.max ?? "∞"}` : "";
  return `${ds.pin}${ds.name ? " · " + ds.name : ""} (${ds.type}${range})`;
}

function caption(ds) {
  const dup = ds.duplicates ? `, ${ds.duplicates} duplicate${ds.duplicates === 1 ? "" : "s"}` : "";
  const last = ds.lastTs !== null ? `, newest ${utc(ds.lastTs)}` : "";
  return `${ds.points} point${ds.points === 1 ? "" : "s"}${dup}${last}`;
}

function ensureCard(container, dev, ds) {
  const key = dev.id + "/" + ds.pin;
  let s = streams.get(key);
  if (!s) {
    const card = el("div", { class: "stream", "data-device": String(dev.id), "data-pin": ds.pin, "data-key": key });
    const zoomNote = el("button", { class: "unzoom", hidden: "" }, "show all");
    card.append(el("h3", {}, describe(ds)), el("div", { class: "caption" }), zoomNote, el("div", { class: "plot" }));
    s = { key, card, dev: dev.id, ds, chart: null, version: -1, visible: false, stale: false, zoom: null };
    zoomNote.addEventListener("click", () => {
      s.zoom = null;
      zoomNote.hidden = true;
      refresh(s);
    });
    streams.set(key, s);
    onScreen.observe(card);
  }
  s.ds = ds;
  if (s.card.parentNode !== container) container.append(s.card);
  s.card.querySelector(".caption").textContent = caption(ds);
  return s;
}

function makeChart(s, plot, data) {
  plot.replaceChildren();
  s.chart = new uPlot(
    {
      width: CHART_WIDTH,
      height: CHART_HEIGHT,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      scales: { x: { time: true } },
      series: [
        { label: "UTC", value: (_u, v) => (v == null ? "–" : utc(v * 1000)) },
        { label: "min", stroke: "#2a6fdb", width: 1.5, spanGaps: false, points: { show: data[0].length < 200 } },
        { label: "max", stroke: "#2a6fdb", width: 1, spanGaps: false, points: { show: false } },
      ],
      bands: [{ series: [2, 1], fill: "rgba(42,111,219,0.25)" }],
      legend: { show: true },
      hooks: {
        // A drag selects a time range: fetch it at full width rather than stretch what is shown.
        setSelect: [
          (u) => {
            if (u.select.width < 2) return;
            const from = Math.floor(u.posToVal(u.select.left, "x") * 1000);
            const to = Math.ceil(u.posToVal(u.select.left + u.select.width, "x") * 1000);
            u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
            s.zoom = { from, to };
            s.card.querySelector(".unzoom").hidden = false;
            refresh(s);
          },
        ],
      },
      cursor: { drag: { x: true, y: false, setScale: false } },
    },
    data,
    plot,
  );
  window.spoolCharts[s.key] = s.chart;
}

/** Fetches and draws one datastream; only called for cards on screen. */
async function refresh(s) {
  s.stale = false;
  const ds = s.ds;
  const plot = s.card.querySelector(".plot");
  if (!NUMERIC.includes(ds.type)) {
    const h = await (await fetch(`/api/history?device=${s.dev}&pin=${ds.pin}&limit=${LIST_ROWS}`)).json();
    const list = el("ol", { class: "values", reversed: "" });
    for (const [ts, v] of h.points.slice().reverse()) list.append(el("li", {}, `${utc(ts)}  ${JSON.stringify(v)}`));
    plot.replaceChildren(list);
    return;
  }
  const range = s.zoom ?? { from: ds.firstTs, to: ds.lastTs };
  const width = Math.round(s.chart ? s.chart.bbox.width / devicePixelRatio : CHART_WIDTH);
  const c = await (await fetch(`/api/chart?device=${s.dev}&pin=${ds.pin}&from=${range.from}&to=${range.to}&width=${width}`)).json();
  const data = toData(c.columns);
  if (!s.chart) return makeChart(s, plot, data);
  s.chart.setData(data);
}

function fieldText(k, v) {
  return k === "queue" ? `${v} queued` : `${k} ${v}`;
}

/** The device panel: what the device last said on its status pin, and its last upload. */
function showPanel(section, dev) {
  const panel = section.querySelector(".panel");
  const st = dev.status;
  if (!st) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  const keys = PANEL_FIRST.filter((k) => k in st.fields).concat(Object.keys(st.fields).filter((k) => !PANEL_FIRST.includes(k)));
  const items = keys.map((k) => el("span", { class: "field", "data-field": k }, fieldText(k, st.fields[k])));
  const upload = dev.lastSeen ? `last upload ${utc(dev.lastSeen)} (${ago(dev.lastSeen)})` : "no upload yet";
  panel.replaceChildren(
    el("strong", {}, "Device status"),
    el("span", { class: "field", "data-field": "upload" }, upload),
    ...items,
    el("span", { class: "source" }, `from ${st.pin}, recorded ${utc(st.ts)}`),
  );
}

async function poll() {
  try {
    const devices = await (await fetch("/api/devices")).json();
    const seen = new Set();
    for (const dev of devices) {
      let section = document.getElementById("device-" + dev.id);
      if (!section) {
        section = el("section", { class: "device", id: "device-" + dev.id });
        section.append(
          el("h2", {}, dev.name),
          el("div", { class: "meta" }),
          el("div", { class: "panel", hidden: "" }),
          el("div", { class: "streams" }),
          el("div", { class: "no-points" }),
        );
        root.append(section);
      }
      const seenText = dev.lastSeen ? `last write ${utc(dev.lastSeen)}` : "no writes yet";
      section.querySelector(".meta").textContent = `token ${dev.token} · ${dev.datastreams.length} datastreams · ${seenText}`;
      showPanel(section, dev);
      seen.add(section.id);
      const container = section.querySelector(".streams");
      const empty = [];
      for (const ds of dev.datastreams) {
        if (ds.points === 0) {
          empty.push(ds.pin + (ds.name ? " · " + ds.name : ""));
          continue;
        }
        const s = ensureCard(container, dev, ds);
        if (s.version !== ds.version) {
          s.version = ds.version;
          s.stale = true;
          if (s.visible) await refresh(s);
        }
      }
      section.querySelector(".no-points").textContent = empty.length ? `No points yet: ${empty.join(", ")}` : "";
    }
    for (const section of root.querySelectorAll("section.device")) if (!seen.has(section.id)) section.remove();
    statusEl.textContent = `updated ${utc(Date.now())}`;
    document.body.dataset.ready = "1";
  } catch (err) {
    statusEl.textContent = `server unreachable (${err.message}); retrying`;
  }
  setTimeout(poll, POLL_MS);
}

poll();
