// The server page: polls /api/devices, refetches a datastream's history when its version
// changes, draws numbers with uPlot. Plain browser JavaScript, no build step.
"use strict";

const POLL_MS = 1500;
const GAP_FACTOR = 3;
const CHART_WIDTH = 440;
const CHART_HEIGHT = 180;
const LIST_ROWS = 20;
const NUMERIC = ["integer", "double", "boolean", "enum"];

/** key "deviceId/pin" -> { card, chart, version } */
const streams = new Map();
/** The uPlot instances by "deviceId/pin", for tests and the console. */
window.spoolCharts = {};
const root = document.getElementById("devices");
const statusEl = document.getElementById("status");

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Sorted points -> uPlot columns, with a null wherever consecutive points are much farther
 *  apart than the median interval, so real loss shows as a gap rather than a straight line. */
function toColumns(points) {
  const xs = [];
  const ys = [];
  const gaps = [];
  for (let i = 1; i < points.length; i++) {
    const d = points[i][0] - points[i - 1][0];
    if (d > 0) gaps.push(d);
  }
  gaps.sort((a, b) => a - b);
  const median = gaps.length ? gaps[Math.floor(gaps.length / 2)] : 0;
  for (let i = 0; i < points.length; i++) {
    const [ts, v] = points[i];
    if (i > 0) {
      const prev = points[i - 1][0];
      if (ts === prev) { ys[ys.length - 1] = v; continue; } // duplicate timestamp: keep the last
      if (median > 0 && ts - prev > GAP_FACTOR * median) { xs.push((prev + ts) / 2000); ys.push(null); }
    }
    xs.push(ts / 1000);
    ys.push(v);
  }
  return [xs, ys];
}

function describe(ds) {
  const range = ds.min !== null || ds.max !== null ? `, ${ds.min ?? "−∞"}…${ds.max ?? "∞"}` : "";
  return `${ds.pin}${ds.name ? " · " + ds.name : ""} (${ds.type}${range})`;
}

function caption(ds) {
  const dup = ds.duplicates ? `, ${ds.duplicates} duplicate${ds.duplicates === 1 ? "" : "s"}` : "";
  const last = ds.lastTs !== null ? `, newest ${new Date(ds.lastTs).toISOString().replace("T", " ").slice(0, 19)} UTC` : "";
  return `${ds.points} point${ds.points === 1 ? "" : "s"}${dup}${last}`;
}

function ensureCard(container, dev, ds) {
  const key = dev.id + "/" + ds.pin;
  let s = streams.get(key);
  if (!s) {
    const card = el("div", { class: "stream", "data-device": String(dev.id), "data-pin": ds.pin });
    card.append(el("h3", {}, describe(ds)), el("div", { class: "caption" }), el("div", { class: "plot" }));
    s = { card, chart: null, version: -1, type: ds.type };
    streams.set(key, s);
  }
  if (s.card.parentNode !== container) container.append(s.card);
  s.card.querySelector(".caption").textContent = caption(ds);
  return s;
}

async function refresh(dev, ds, s) {
  const r = await fetch(`/api/history?device=${dev.id}&pin=${ds.pin}`);
  const h = await r.json();
  const plot = s.card.querySelector(".plot");
  if (!h.points.length) { plot.replaceChildren(el("p", { class: "empty" }, "no points yet")); return; }
  if (!NUMERIC.includes(ds.type)) {
    const list = el("ol", { class: "values", reversed: "" });
    for (const [ts, v] of h.points.slice(-LIST_ROWS).reverse()) {
      list.append(el("li", {}, `${new Date(ts).toISOString()}  ${JSON.stringify(v)}`));
    }
    plot.replaceChildren(list);
    return;
  }
  const data = toColumns(h.points);
  if (s.chart) { s.chart.setData(data); return; }
  plot.replaceChildren();
  s.chart = new uPlot({
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    scales: { x: { time: true } },
    series: [{}, { label: ds.pin, stroke: "#2a6fdb", width: 1.5, spanGaps: false, points: { show: h.points.length < 200 } }],
    legend: { show: true },
  }, data, plot);
  window.spoolCharts[dev.id + "/" + ds.pin] = s.chart;
}

async function poll() {
  try {
    const devices = await (await fetch("/api/devices")).json();
    const seen = new Set();
    for (const dev of devices) {
      let section = document.getElementById("device-" + dev.id);
      if (!section) {
        section = el("section", { class: "device", id: "device-" + dev.id });
        section.append(el("h2", {}, dev.name), el("div", { class: "meta" }), el("div", { class: "streams" }));
        root.append(section);
      }
      const seenText = dev.lastSeen ? `last write ${new Date(dev.lastSeen).toISOString().replace("T", " ").slice(0, 19)} UTC` : "no writes yet";
      section.querySelector(".meta").textContent = `token ${dev.token} · ${dev.datastreams.length} datastreams · ${seenText}`;
      seen.add(section.id);
      const container = section.querySelector(".streams");
      for (const ds of dev.datastreams) {
        const s = ensureCard(container, dev, ds);
        if (s.version !== ds.version) {
          s.version = ds.version;
          await refresh(dev, ds, s);
        }
      }
    }
    for (const section of root.querySelectorAll("section.device")) if (!seen.has(section.id)) section.remove();
    statusEl.textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.ready = "1";
  } catch (err) {
    statusEl.textContent = `server unreachable (${err.message}); retrying`;
  }
  setTimeout(poll, POLL_MS);
}

poll();
