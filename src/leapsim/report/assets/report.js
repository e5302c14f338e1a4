/* leapsim report: charts (SVG) and map replay (canvas) drawn from the #leapsim-data island.
   No network access, no external libraries. */
(function () {
  "use strict";

  const DATA = JSON.parse(document.getElementById("leapsim-data").textContent);
  const SVGNS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#2f6db5", "#e07b39", "#3a9d5d", "#c44e52", "#8172b3", "#937860",
    "#d27fb9", "#7f7f7f", "#b5a93a", "#3fa7c2"];
  const FAMILY_COLOR = { drone: "#e8590c", decoy: "#868e96", cruise_missile: "#7048e8",
    ballistic_missile: "#c2255c" };
  const KIND_COLOR = { missile: "#1c7ed6", gun: "#2b8a3e", interceptor_drone: "#0b7285",
    laser: "#e67700", ew: "#ae3ec9" };
  const EARTH_R = 6371008.8;
  const DEG = Math.PI / 180;

  // ---------------------------------------------------------------- formatting (mirrors fmt.py)
  function sig3(x, maxDec) {
    if (x === 0) return "0";
    const d = Math.max(0, Math.min(maxDec === undefined ? 6 : maxDec,
      2 - Math.floor(Math.log10(Math.abs(x)))));
    return x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  }
  function fmt(v, unit) {
    if (v === null || v === undefined || !isFinite(v)) return "n/a";
    if (unit === "eur") {
      const a = Math.abs(v);
      if (a >= 1e9) return "€" + sig3(v / 1e9) + " bn";
      if (a >= 1e6) return "€" + sig3(v / 1e6) + " M";
      if (a >= 1e3) return "€" + sig3(v / 1e3) + " k";
      return "€" + sig3(v, 0);
    }
    if (unit === "pct") return sig3(100 * v, 2) + " %";
    if (unit === "ratio") return sig3(v);
    if (unit === "nights") return sig3(v, 1);
    return sig3(v, 2);
  }
  function unitOf(col) {
    const base = col.split(".")[0];
    if (base === "leak_rate") return "pct";
    if (base === "cost_exchange_ratio") return "ratio";
    return base.endsWith("_eur") ? "eur" : "count";
  }
  function clock(t) {
    const s = Math.max(0, Math.round(t));
    const p = (n) => String(n).padStart(2, "0");
    return "T+" + p(Math.floor(s / 3600)) + ":" + p(Math.floor(s / 60) % 60) + ":" + p(s % 60);
  }
  function upperBound(arr, x) {
    let lo = 0, hi = arr.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (arr[m] <= x) lo = m + 1; else hi = m; }
    return lo;
  }

  // ---------------------------------------------------------------- SVG helpers
  function el(tag, attrs, parent) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function txt(parent, x, y, s, attrs) {
    const t = el("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    t.textContent = s;
    return t;
  }
  function tip(node, s) { el("title", {}, node).textContent = s; return node; }
  function niceStep(raw) {
    const e = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * e >= raw * (1 - 1e-9)) return m * e;
    return 10 * e;
  }
  function ticks(lo, hi, n, integer) {
    if (!(hi > lo)) { hi = lo + 1; }
    const step = Math.max(integer ? 1 : 0, niceStep((hi - lo) / n));
    const a = Math.floor(lo / step + 1e-9) * step, b = Math.ceil(hi / step - 1e-9) * step;
    const out = [];
    for (let v = a; v <= b + step * 1e-6; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }
  function short(x) { return String(Math.round(x * 1000) / 1000); }
  function axisLabel(v, unit) {
    const a = Math.abs(v);
    const pre = unit === "eur" ? "€" : "";
    if (unit === "pct") return short(100 * v) + " %";
    if (a >= 1e9) return pre + short(v / 1e9) + " bn";
    if (a >= 1e6) return pre + short(v / 1e6) + " M";
    if (a >= (unit === "eur" ? 1e3 : 1e4)) return pre + short(v / 1e3) + " k";
    return pre + short(v);
  }
  function tickCount(px) { return Math.max(2, Math.min(8, Math.floor(px / 75))); }
  function labelWidth(labels) {
    return 14 + Math.min(190, Math.max(30, ...labels.map((l) => String(l).length * 6.3)));
  }
  function newSvg(container, height) {
    container.textContent = "";
    const width = Math.max(260, container.clientWidth || 600);
    const svg = el("svg", { viewBox: "0 0 " + width + " " + height, width: width, height: height,
      role: "img" }, container);
    return { svg: svg, width: width, height: height };
  }
  function legend(container, items) {
    const div = document.createElement("div");
    div.className = "chart-legend";
    for (const it of items) {
      const s = document.createElement("span");
      const i = document.createElement("i");
      i.style.background = it.color;
      s.appendChild(i);
      s.appendChild(document.createTextNode(it.name));
      div.appendChild(s);
    }
    container.appendChild(div);
  }
  function empty(container, message) {
    container.textContent = "";
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = message;
    container.appendChild(p);
  }

  // ---------------------------------------------------------------- charts
  /* Horizontal grouped bars with 95 % CI whiskers. series: [{name, color, stats: [{mean, ci_low, ci_high}]}] */
  function barChart(container, categories, series, unit, emptyText) {
    if (!categories.length) return empty(container, emptyText || "No data.");
    const rowH = 14 * series.length + 14;
    const top = 6, bottom = 26, left = labelWidth(categories), right = 70;
    const { svg, width } = newSvg(container, top + bottom + rowH * categories.length);
    let hi = 0;
    for (const s of series) for (const st of s.stats) if (st) hi = Math.max(hi, st.ci_high ?? st.mean ?? 0, st.mean ?? 0);
    const tk = ticks(0, hi || 1, tickCount(width - left - right));
    const xmax = tk[tk.length - 1];
    const x = (v) => left + (v / xmax) * (width - left - right);
    const g = el("g", { class: "grid" }, svg), ax = el("g", { class: "axis" }, svg);
    const yb = top + rowH * categories.length;
    for (const v of tk) {
      el("line", { x1: x(v), x2: x(v), y1: top, y2: yb }, g);
      txt(ax, x(v), yb + 16, axisLabel(v, unit), { "text-anchor": "middle" });
    }
    el("line", { x1: left, x2: left, y1: top, y2: yb }, ax);
    categories.forEach((c, ci) => {
      const y0 = top + ci * rowH + 7;
      txt(svg, left - 8, y0 + 7 * series.length + 3, c, { "text-anchor": "end", class: "label" });
      series.forEach((s, si) => {
        const st = s.stats[ci];
        if (!st || st.mean === null || st.mean === undefined) return;
        const y = y0 + si * 14;
        const r = tip(el("rect", { x: left, y: y, width: Math.max(0, x(st.mean) - left), height: 11,
          fill: s.color, rx: 1.5 }, svg),
        c + " · " + s.name + ": " + fmt(st.mean, unit) + " (95 % CI " + fmt(st.ci_low, unit) + " – " +
          fmt(st.ci_high, unit) + ")");
        r.setAttribute("data-value", st.mean);
        if (st.ci_low !== null && st.ci_high !== null) {
          const a = x(Math.max(0, st.ci_low)), b = x(st.ci_high);
          el("line", { x1: a, x2: b, y1: y + 5.5, y2: y + 5.5, stroke: "#1d2733", "stroke-width": 1.2 }, svg);
          el("line", { x1: a, x2: a, y1: y + 2, y2: y + 9, stroke: "#1d2733", "stroke-width": 1.2 }, svg);
          el("line", { x1: b, x2: b, y1: y + 2, y2: y + 9, stroke: "#1d2733", "stroke-width": 1.2 }, svg);
        }
        txt(svg, Math.max(x(st.mean), x(st.ci_high ?? st.mean)) + 5, y + 9.5, fmt(st.mean, unit),
          { class: "value-label" });
      });
    });
    if (series.length > 1) legend(container, series);
  }

  /* Histogram(s) on shared edges. series: [{name, color, hist}] */
  function histChart(container, series, unit, xLabel) {
    series = series.filter((s) => s.hist && s.hist.n > 0);
    if (!series.length) return empty(container, "No runs to show.");
    const edges = series[0].hist.edges;
    const integer = series[0].hist.integer;
    const top = 10, bottom = 38, left = 46, right = 12;
    const { svg, width, height } = newSvg(container, 230);
    let ymax = 0;
    for (const s of series) for (const c of s.hist.counts) ymax = Math.max(ymax, c);
    const ty = ticks(0, ymax || 1, 4, true), yTop = ty[ty.length - 1];
    const lo = edges[0], hiE = edges[edges.length - 1];
    const x = (v) => left + ((v - lo) / (hiE - lo || 1)) * (width - left - right);
    const y = (v) => height - bottom - (v / yTop) * (height - top - bottom);
    const g = el("g", { class: "grid" }, svg), ax = el("g", { class: "axis" }, svg);
    for (const v of ty) {
      el("line", { x1: left, x2: width - right, y1: y(v), y2: y(v) }, g);
      txt(ax, left - 6, y(v) + 4, axisLabel(v, "count"), { "text-anchor": "end" });
    }
    const nb = edges.length - 1;
    const every = Math.max(1, Math.ceil(nb / Math.max(2, Math.floor((width - left - right) / 55))));
    for (let i = 0; i <= nb; i++) {
      const v = integer ? edges[i] + 0.5 : edges[i];
      if (integer && i === nb) break;
      if (i % every) continue;
      const px = integer ? (x(edges[i]) + x(edges[i + 1])) / 2 : x(v);
      txt(ax, px, height - bottom + 15, axisLabel(v, unit), { "text-anchor": "middle" });
    }
    txt(ax, (left + width - right) / 2, height - 6, xLabel, { "text-anchor": "middle" });
    el("line", { x1: left, x2: width - right, y1: y(0), y2: y(0) }, ax);
    const overlay = series.length > 1;
    series.forEach((s) => {
      const h = s.hist;
      for (let i = 0; i < nb; i++) {
        if (!h.counts[i]) continue;
        const x0 = x(edges[i]), x1 = x(edges[i + 1]);
        const lbl = integer ? (edges[i] + 0.5) + "" : fmt(edges[i], unit) + " – " + fmt(edges[i + 1], unit);
        tip(el("rect", { x: x0 + 0.5, y: y(h.counts[i]), width: Math.max(0.5, x1 - x0 - 1),
          height: y(0) - y(h.counts[i]), fill: s.color, "fill-opacity": overlay ? 0.35 : 0.85 }, svg),
        (overlay ? s.name + ": " : "") + lbl + ": " + h.counts[i] + " of " + h.n + " runs");
      }
      if (overlay) {
        let d = "M" + x(edges[0]) + "," + y(0);
        for (let i = 0; i < nb; i++) d += "L" + x(edges[i]) + "," + y(h.counts[i]) + "L" + x(edges[i + 1]) + "," + y(h.counts[i]);
        d += "L" + x(edges[nb]) + "," + y(0);
        el("path", { d: d, fill: "none", stroke: s.color, "stroke-width": 1.5 }, svg);
      }
      if (h.mean !== null) {
        const mx = x(h.mean);
        el("line", { x1: mx, x2: mx, y1: top, y2: y(0), stroke: overlay ? s.color : "#1d2733",
          "stroke-dasharray": "4 3", "stroke-width": 1.5 }, svg);
        if (!overlay) txt(svg, mx + 4, top + 10, "mean " + fmt(h.mean, unit), { class: "value-label" });
      }
    });
    if (overlay) legend(container, series);
    const dropped = series.reduce((a, s) => a + (s.hist.dropped || 0), 0);
    if (dropped) {
      const p = document.createElement("p");
      p.className = "card-note";
      p.textContent = dropped + " run(s) without a value are not counted.";
      container.appendChild(p);
    }
  }

  /* Lines with CI bands over x. series: [{name, color, mean, ci_low, ci_high, dash}] */
  function lineChart(container, xs, series, unit, xLabel, small) {
    series = series.filter((s) => s.mean && s.mean.length);
    if (!series.length || !xs.length) return empty(container, "No data.");
    const top = 10, bottom = 38, left = 64, right = 14;
    const { svg, width, height } = newSvg(container, small ? 150 : 250);
    let lo = Infinity, hi = -Infinity;
    for (const s of series) {
      for (const arr of [s.mean, s.ci_low, s.ci_high]) {
        if (!arr) continue;
        for (const v of arr) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      }
    }
    lo = Math.min(0, lo);
    const ty = ticks(lo, hi > lo ? hi : lo + 1, 4);
    const y0 = ty[0], y1 = ty[ty.length - 1];
    const xmin = xs[0], xmax = xs[xs.length - 1];
    const x = (v) => left + ((v - xmin) / (xmax - xmin || 1)) * (width - left - right);
    const y = (v) => height - bottom - ((v - y0) / (y1 - y0)) * (height - top - bottom);
    const g = el("g", { class: "grid" }, svg), ax = el("g", { class: "axis" }, svg);
    for (const v of ty) {
      el("line", { x1: left, x2: width - right, y1: y(v), y2: y(v) }, g);
      txt(ax, left - 6, y(v) + 4, axisLabel(v, unit), { "text-anchor": "end" });
    }
    const tx = xs.length <= 12 ? xs : ticks(xmin, xmax, 8).filter((v) => v >= xmin && v <= xmax);
    for (const v of tx) txt(ax, x(v), height - bottom + 15, String(v), { "text-anchor": "middle" });
    txt(ax, (left + width - right) / 2, height - 6, xLabel, { "text-anchor": "middle" });
    el("line", { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom }, ax);
    for (const s of series) {
      if (s.ci_low && s.ci_high) {
        let d = "";
        xs.forEach((v, i) => { if (s.ci_high[i] !== null) d += (d ? "L" : "M") + x(v) + "," + y(s.ci_high[i]); });
        for (let i = xs.length - 1; i >= 0; i--) if (s.ci_low[i] !== null) d += "L" + x(xs[i]) + "," + y(s.ci_low[i]);
        if (d) el("path", { d: d + "Z", fill: s.color, "fill-opacity": 0.16, stroke: "none" }, svg);
      }
      let d = "";
      xs.forEach((v, i) => { if (s.mean[i] !== null) d += (d ? "L" : "M") + x(v) + "," + y(s.mean[i]); });
      el("path", { d: d, fill: "none", stroke: s.color, "stroke-width": 2,
        "stroke-dasharray": s.dash ? "5 4" : "none" }, svg);
      if (xs.length <= 60) {
        xs.forEach((v, i) => {
          if (s.mean[i] === null) return;
          tip(el("circle", { cx: x(v), cy: y(s.mean[i]), r: 2.6, fill: s.color }, svg),
            s.name + ", " + xLabel + " " + v + ": " + fmt(s.mean[i], unit) +
            (s.ci_low ? " (" + (s.band || "95 % CI") + " " + fmt(s.ci_low[i], unit) + " – " + fmt(s.ci_high[i], unit) + ")" : ""));
        });
      }
    }
    if (!small) legend(container, series);
  }

  /* Small multiples: one line chart per series, each with its own y axis. */
  function multiples(container, xs, series, unit, xLabel) {
    container.textContent = "";
    if (!series.length) return empty(container, "No munition stocks in nights.parquet.");
    const grid = document.createElement("div");
    grid.className = "multiples";
    container.appendChild(grid);
    for (const s of series) {
      const cell = document.createElement("div");
      const h = document.createElement("h4");
      h.textContent = s.name;
      const box = document.createElement("div");
      box.className = "chart-cell";
      cell.appendChild(h); cell.appendChild(box); grid.appendChild(cell);
      lineChart(box, xs, [s], unit, xLabel, true);
    }
  }

  /* One row per result: mean and 95 % CI on a shared axis. */
  function forestChart(container, rows, unit, limit) {
    rows = rows.filter((r) => r.stats && r.stats.mean !== null && r.stats.mean !== undefined);
    if (!rows.length) return empty(container, "n/a");
    const rowH = 22, top = limit ? 16 : 4, bottom = 22, left = labelWidth(rows.map((r) => r.name)), right = 64;
    const { svg, width } = newSvg(container, top + bottom + rowH * rows.length);
    let lo = Infinity, hi = -Infinity;
    for (const r of rows) {
      lo = Math.min(lo, r.stats.ci_low ?? r.stats.mean, r.stats.mean);
      hi = Math.max(hi, r.stats.ci_high ?? r.stats.mean, r.stats.mean);
    }
    if (lo >= 0) lo = 0;
    const tk = ticks(lo, hi > lo ? hi : lo + 1, tickCount(width - left - right));
    const a = tk[0], b = tk[tk.length - 1];
    const x = (v) => left + ((v - a) / (b - a)) * (width - left - right);
    const yb = top + rowH * rows.length;
    const g = el("g", { class: "grid" }, svg), ax = el("g", { class: "axis" }, svg);
    for (const v of tk) {
      el("line", { x1: x(v), x2: x(v), y1: top, y2: yb }, g);
      txt(ax, x(v), yb + 15, axisLabel(v, unit), { "text-anchor": "middle" });
    }
    if (limit !== undefined && limit.x >= a && limit.x <= b) {
      el("line", { x1: x(limit.x), x2: x(limit.x), y1: top, y2: yb, stroke: "#868e96",
        "stroke-dasharray": "4 3" }, svg);
      txt(svg, x(limit.x), 10, limit.label, { "text-anchor": "middle" });
    }
    rows.forEach((r, i) => {
      const y = top + i * rowH + rowH / 2;
      txt(svg, left - 8, y + 4, r.name, { "text-anchor": "end", class: "label" });
      const s = r.stats;
      if (s.ci_low !== null && s.ci_high !== null) {
        el("line", { x1: x(s.ci_low), x2: x(s.ci_high), y1: y, y2: y, stroke: r.color, "stroke-width": 2.2 }, svg);
        for (const v of [s.ci_low, s.ci_high]) el("line", { x1: x(v), x2: x(v), y1: y - 5, y2: y + 5, stroke: r.color, "stroke-width": 2 }, svg);
      }
      tip(el("circle", { cx: x(s.mean), cy: y, r: 5, fill: r.color, stroke: "#fff", "stroke-width": 1.5 }, svg),
        r.name + ": " + fmt(s.mean, unit) + " (95 % CI " + fmt(s.ci_low, unit) + " – " + fmt(s.ci_high, unit) + ")");
      txt(svg, width - right + 8, y + 4, fmt(s.mean, unit), { class: "value-label" });
    });
  }

  /* Points with 95 % CI error bars in x and y; a series with line: true is joined in x order.
     spec: {series: [{name, color, line, points: [{x, y, x_low, x_high, y_low, y_high, label}]}],
     x_unit, y_unit, x_label, y_label} */
  function scatterChart(container, spec) {
    const ok = (v) => v !== null && v !== undefined;
    // a log axis plots log10 of the values (positive ones only); ticks are labelled back in units
    const lx = spec.x_log ? (v) => (ok(v) && v > 0 ? Math.log10(v) : null) : (v) => v;
    const ly = spec.y_log ? (v) => (ok(v) && v > 0 ? Math.log10(v) : null) : (v) => v;
    const series = spec.series.map((s) => Object.assign({}, s, {
      points: (s.points || []).map((p) => Object.assign({}, p, { raw: p, x: lx(p.x), y: ly(p.y),
        x_low: lx(p.x_low), x_high: lx(p.x_high), y_low: ly(p.y_low), y_high: ly(p.y_high) }))
        .filter((p) => ok(p.x) && ok(p.y)),
    })).filter((s) => s.points.length);
    if (!series.length) return empty(container, "No data.");
    const tickLabel = (v, log, unit) => axisLabel(log ? Math.pow(10, v) : v, unit);
    const top = 10, bottom = 38, left = 64, right = 14;
    const { svg, width, height } = newSvg(container, 250);
    const range = (keys) => {
      let lo = Infinity, hi = -Infinity;
      for (const s of series) for (const p of s.points) for (const k of keys) if (ok(p[k])) { lo = Math.min(lo, p[k]); hi = Math.max(hi, p[k]); }
      if (spec[keys[0] + "_log"]) {  // 1-2-5 steps of each decade, as log10 values
        const out = [];
        for (let d = Math.floor(lo); d <= Math.ceil(hi); d++) {
          for (const m of [1, 2, 5]) { const v = d + Math.log10(m); if (v >= lo - 1e-9 && v <= hi + 1e-9) out.push(v); }
        }
        if (out.length >= 2) return [Math.min(lo, out[0]), ...out.filter((v) => v > lo && v < hi), Math.max(hi, out[out.length - 1])];
      }
      return ticks(lo, hi > lo ? hi : lo + 1, keys[0] === "x" ? tickCount(width - left - right) : 4);
    };
    const tx = range(["x", "x_low", "x_high"]), ty = range(["y", "y_low", "y_high"]);
    const x0 = tx[0], x1 = tx[tx.length - 1], y0 = ty[0], y1 = ty[ty.length - 1];
    const x = (v) => left + ((v - x0) / (x1 - x0)) * (width - left - right);
    const y = (v) => height - bottom - ((v - y0) / (y1 - y0)) * (height - top - bottom);
    const g = el("g", { class: "grid" }, svg), ax = el("g", { class: "axis" }, svg);
    for (const v of ty) {
      el("line", { x1: left, x2: width - right, y1: y(v), y2: y(v) }, g);
      txt(ax, left - 6, y(v) + 4, tickLabel(v, spec.y_log, spec.y_unit), { "text-anchor": "end" });
    }
    for (const v of tx) {
      el("line", { x1: x(v), x2: x(v), y1: top, y2: height - bottom }, g);
      txt(ax, x(v), height - bottom + 15, tickLabel(v, spec.x_log, spec.x_unit), { "text-anchor": "middle" });
    }
    txt(ax, (left + width - right) / 2, height - 6, spec.x_label, { "text-anchor": "middle" });
    txt(ax, 12, (top + height - bottom) / 2, spec.y_label,
      { "text-anchor": "middle", transform: "rotate(-90 12 " + (top + height - bottom) / 2 + ")" });
    el("line", { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom }, ax);
    el("line", { x1: left, x2: left, y1: top, y2: height - bottom }, ax);
    for (const s of series) {
      if (s.line) {
        const pts = [...s.points].sort((a, b) => a.x - b.x);
        el("path", { d: pts.map((p, i) => (i ? "L" : "M") + x(p.x) + "," + y(p.y)).join(""), fill: "none",
          stroke: s.color, "stroke-width": 1.5 }, svg);
      }
      for (const p of s.points) {
        const bar = { stroke: s.color, "stroke-width": 1.2 };
        if (ok(p.x_low) && ok(p.x_high)) {
          el("line", Object.assign({ x1: x(p.x_low), x2: x(p.x_high), y1: y(p.y), y2: y(p.y) }, bar), svg);
          for (const v of [p.x_low, p.x_high]) el("line", Object.assign({ x1: x(v), x2: x(v), y1: y(p.y) - 4, y2: y(p.y) + 4 }, bar), svg);
        }
        if (ok(p.y_low) && ok(p.y_high)) {
          el("line", Object.assign({ x1: x(p.x), x2: x(p.x), y1: y(p.y_low), y2: y(p.y_high) }, bar), svg);
          for (const v of [p.y_low, p.y_high]) el("line", Object.assign({ x1: x(p.x) - 4, x2: x(p.x) + 4, y1: y(v), y2: y(v) }, bar), svg);
        }
        const ci = (v, lo, hi, unit) => fmt(v, unit) + (ok(lo) && ok(hi) ? " (95 % CI " + fmt(lo, unit) + " – " + fmt(hi, unit) + ")" : "");
        const r = p.raw;
        tip(el("circle", { cx: x(p.x), cy: y(p.y), r: 4, fill: s.color, stroke: "#fff", "stroke-width": 1.2 }, svg),
          (r.label ? r.label + "\n" : "") + spec.x_label + ": " + ci(r.x, r.x_low, r.x_high, spec.x_unit) + "\n" +
          spec.y_label + ": " + ci(r.y, r.y_low, r.y_high, spec.y_unit));
      }
    }
    if (series.length > 1) legend(container, series);
  }

  // ---------------------------------------------------------------- geometry
  function destination(lat, lon, bearing, dist) {
    const d = dist / EARTH_R, p1 = lat * DEG, l1 = lon * DEG, b = bearing * DEG;
    const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
    const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
    return [p2 / DEG, l2 / DEG];
  }
  function circle(lat, lon, r, n) {
    const pts = [];
    for (let i = 0; i <= n; i++) pts.push(destination(lat, lon, (360 * i) / n, r));
    return pts;
  }
  function decodeLine(pts, scale) {
    const out = [];
    let x = pts[0], y = pts[1];
    out.push([y / scale, x / scale]);
    for (let i = 2; i < pts.length; i += 2) { x += pts[i]; y += pts[i + 1]; out.push([y / scale, x / scale]); }
    return out; // [lat, lon]
  }
  let BORDERS = null;
  function borders() {
    if (BORDERS) return BORDERS;
    const b = DATA.borders;
    BORDERS = {
      countries: b.countries.map((c) => ({ name: c.name, label: c.label,
        rings: c.rings.map((r) => decodeLine(r, b.scale)) })),
      lines: b.lines.map((l) => ({ kind: l.kind, pts: decodeLine(l.pts, b.scale) })),
    };
    return BORDERS;
  }

  function decodeReplay(rp) {
    const threats = [];
    let k = 0, lat = 0, lon = 0, t = 0;
    for (let i = 0; i < rp.npts.length; i++) {
      const n = rp.npts[i];
      const la = new Float64Array(n), lo = new Float64Array(n), tt = new Float64Array(n);
      for (let j = 0; j < n; j++, k++) {
        lat += rp.lat[k]; lon += rp.lon[k]; t += rp.t[k];
        la[j] = lat / rp.coord_scale; lo[j] = lon / rp.coord_scale; tt[j] = t / rp.time_scale;
      }
      threats.push({ lat: la, lon: lo, t: tt, type: rp.type[i], fate: rp.fate[i], end: rp.end[i] });
    }
    return threats;
  }

  // ---------------------------------------------------------------- map
  class MapView {
    constructor(card, result) {
      this.card = card;
      this.result = result;
      this.scn = result.scenario;
      this.canvas = card.querySelector("canvas.map");
      this.wrap = card.querySelector(".map-wrap");
      this.tooltip = card.querySelector(".tooltip");
      this.lat0 = result.origin.lat;
      this.lon0 = result.origin.lon;
      this.kx = Math.cos(this.lat0 * DEG);
      this.layers = { rings: true, sensors: true, axes: true, trails: true, labels: true };
      // extra layers of a view (macro map_card, overlays=...), switched as "overlay:<id>"
      this.overlays = JSON.parse(card.getAttribute("data-overlays") || "[]");
      for (const o of this.overlays) this.layers["overlay:" + o.id] = true;
      this.time = 0;
      this.playing = false;
      this.units = this.scn.fire_units || [];
      this.replay = card.querySelector(".replay") ? result.replay : null; // a card without controls: no replay
      this.threats = this.replay ? decodeReplay(this.replay) : [];
      this.families = this.replay ? this.replay.threat_types.map((_, i) => (this.replay.families || [])[i] || "drone") : [];
      this.base = document.createElement("canvas");
      this.bindUi();
      this.resize();
      this.fit();
    }
    // world (degrees, x scaled by cos lat0) <-> screen
    wx(lon) { return (lon - this.lon0) * this.kx; }
    wy(lat) { return lat - this.lat0; }
    sx(lon) { return this.w / 2 + (this.wx(lon) - this.cx) * this.s; }
    sy(lat) { return this.h / 2 - (this.wy(lat) - this.cy) * this.s; }
    /* "defence": sites and fire-unit envelopes; "all": also sensors, raid launches and paths. */
    extent(mode) {
      const pts = [];
      const all = mode === "all";
      const add = (lat, lon, r) => {
        if (r) { const d = r / 111320; pts.push([lat - d, lon - d / this.kx], [lat + d, lon + d / this.kx]); } else pts.push([lat, lon]);
      };
      for (const s of this.scn.sites || []) add(s.lat, s.lon);
      for (const u of this.units) add(u.lat, u.lon, u.max_range_m);
      if (all || !pts.length) {
        for (const s of this.scn.sensors || []) add(s.lat, s.lon);
        for (const r of this.scn.raids || []) { add(r.launch.lat, r.launch.lon); for (const w of r.waypoints || []) add(w.lat, w.lon); }
        for (const th of this.threats) { add(th.lat[0], th.lon[0]); add(th.lat[th.lat.length - 1], th.lon[th.lon.length - 1]); }
      }
      if (!pts.length) pts.push([this.lat0 - 1, this.lon0 - 1], [this.lat0 + 1, this.lon0 + 1]);
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      for (const [lat, lon] of pts) {
        x0 = Math.min(x0, this.wx(lon)); x1 = Math.max(x1, this.wx(lon));
        y0 = Math.min(y0, this.wy(lat)); y1 = Math.max(y1, this.wy(lat));
      }
      return [x0, y0, x1, y1];
    }
    fit(mode) {
      const [x0, y0, x1, y1] = this.extent(mode);
      this.cx = (x0 + x1) / 2; this.cy = (y0 + y1) / 2;
      this.s = Math.min(this.w / Math.max(x1 - x0, 0.3), this.h / Math.max(y1 - y0, 0.3)) * 0.9;
      this.drawBase();
    }
    resize() {
      const r = this.wrap.getBoundingClientRect();
      this.dpr = window.devicePixelRatio || 1;
      this.w = Math.max(200, r.width); this.h = Math.max(200, r.height);
      for (const c of [this.canvas, this.base]) { c.width = Math.round(this.w * this.dpr); c.height = Math.round(this.h * this.dpr); }
      if (this.s) this.drawBase();
    }
    zoom(f, px, py) {
      px = px ?? this.w / 2; py = py ?? this.h / 2;
      const wxp = this.cx + (px - this.w / 2) / this.s, wyp = this.cy - (py - this.h / 2) / this.s;
      this.s = Math.min(Math.max(this.s * f, 2), 5e5);
      this.cx = wxp - (px - this.w / 2) / this.s; this.cy = wyp + (py - this.h / 2) / this.s;
      this.drawBase();
    }
    pathLatLon(ctx, pts) {
      pts.forEach((p, i) => { const X = this.sx(p[1]), Y = this.sy(p[0]); if (i) ctx.lineTo(X, Y); else ctx.moveTo(X, Y); });
    }
    drawBase() {
      const ctx = this.base.getContext("2d");
      ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
      ctx.fillStyle = "#dce8f1";
      ctx.fillRect(0, 0, this.w, this.h);
      const b = borders();
      ctx.fillStyle = "#f7f5f0";
      for (const c of b.countries) { ctx.beginPath(); for (const r of c.rings) this.pathLatLon(ctx, r); ctx.fill("evenodd"); }
      ctx.lineJoin = "round";
      for (const kind of ["coast", "border"]) {
        ctx.beginPath();
        for (const l of b.lines) if (l.kind === kind) this.pathLatLon(ctx, l.pts);
        ctx.strokeStyle = kind === "coast" ? "#8fa7b8" : "#a39a90";
        ctx.lineWidth = kind === "coast" ? 0.8 : 1.1;
        ctx.setLineDash(kind === "border" ? [5, 3] : []);
        ctx.stroke();
      }
      ctx.setLineDash([]);
      if (this.layers.labels) {
        ctx.font = "600 12px sans-serif"; ctx.fillStyle = "rgba(90,100,110,0.55)"; ctx.textAlign = "center";
        for (const c of b.countries) {
          const X = this.sx(c.label[0]), Y = this.sy(c.label[1]);
          if (X > 20 && X < this.w - 20 && Y > 20 && Y < this.h - 20) ctx.fillText(c.name.toUpperCase(), X, Y);
        }
      }
      const metres = (m) => (m / 111320) * this.s;
      if (this.layers.sensors) {
        for (const s of this.scn.sensors || []) {
          if (!s.range_m) continue;
          ctx.beginPath(); this.pathLatLon(ctx, circle(s.lat, s.lon, s.range_m, 96));
          ctx.strokeStyle = "rgba(80,90,100,0.45)"; ctx.setLineDash([2, 3]); ctx.lineWidth = 1; ctx.stroke();
        }
        ctx.setLineDash([]);
      }
      if (this.layers.rings) {
        for (const u of this.units) {
          const col = KIND_COLOR[u.kind] || "#555";
          ctx.beginPath(); this.pathLatLon(ctx, circle(u.lat, u.lon, u.max_range_m, 96));
          ctx.fillStyle = col + (this.units.length > 8 ? "08" : "14"); ctx.fill();
          ctx.strokeStyle = col + "a0"; ctx.lineWidth = 1; ctx.stroke();
          if (u.min_range_m && metres(u.min_range_m) > 3) {
            ctx.beginPath(); this.pathLatLon(ctx, circle(u.lat, u.lon, u.min_range_m, 48));
            ctx.setLineDash([3, 3]); ctx.stroke(); ctx.setLineDash([]);
          }
        }
      }
      if (this.layers.axes) this.drawAxes(ctx);
      this.drawOverlays(ctx);
      for (const s of this.scn.sensors || []) {
        const X = this.sx(s.lon), Y = this.sy(s.lat);
        ctx.beginPath(); ctx.moveTo(X, Y - 6); ctx.lineTo(X + 5.5, Y + 4); ctx.lineTo(X - 5.5, Y + 4); ctx.closePath();
        ctx.fillStyle = "#495057"; ctx.fill(); ctx.strokeStyle = "#fff"; ctx.lineWidth = 1.2; ctx.stroke();
      }
      for (const u of this.units) {
        const X = this.sx(u.lon), Y = this.sy(u.lat);
        ctx.beginPath(); ctx.arc(X, Y, 4.5, 0, 2 * Math.PI);
        ctx.fillStyle = KIND_COLOR[u.kind] || "#555"; ctx.fill(); ctx.strokeStyle = "#fff"; ctx.lineWidth = 1.5; ctx.stroke();
      }
      this.drawScale(ctx);
      this.render();
    }
    /* Overlay features: point, circle (radius_m about pts[0]), line or polygon, in lat/lon. */
    drawOverlays(ctx) {
      for (const o of this.overlays) {
        if (!this.layers["overlay:" + o.id]) continue;
        for (const f of o.features) {
          const col = f.color || o.color || "#1c7ed6";
          ctx.beginPath();
          if (f.kind === "point") {
            ctx.arc(this.sx(f.pts[0][1]), this.sy(f.pts[0][0]), 4.5, 0, 2 * Math.PI);
            ctx.fillStyle = col; ctx.fill(); ctx.strokeStyle = "#fff"; ctx.lineWidth = 1.5; ctx.stroke();
            continue;
          }
          this.pathLatLon(ctx, f.kind === "circle" ? circle(f.pts[0][0], f.pts[0][1], f.radius_m, 96) : f.pts);
          if (f.kind !== "line") {
            ctx.closePath();
            ctx.globalAlpha = f.opacity ?? 0.2; ctx.fillStyle = col; ctx.fill(); ctx.globalAlpha = 1;
          }
          ctx.strokeStyle = col; ctx.lineWidth = f.kind === "line" ? 2 : 1; ctx.stroke();
        }
      }
    }
    /* Sites go above the moving threats, so that their names stay readable. */
    drawSites(ctx) {
      ctx.font = "600 11.5px sans-serif"; ctx.textAlign = "left";
      for (const s of this.scn.sites || []) {
        const X = this.sx(s.lon), Y = this.sy(s.lat);
        ctx.fillStyle = "#14304d"; ctx.strokeStyle = "#fff"; ctx.lineWidth = 1.5;
        ctx.fillRect(X - 5, Y - 5, 10, 10); ctx.strokeRect(X - 5, Y - 5, 10, 10);
      }
      if (!this.layers.labels) return;
      for (const s of this.scn.sites || []) {
        const X = this.sx(s.lon), Y = this.sy(s.lat);
        ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.9)"; ctx.strokeText(s.name, X + 8, Y + 4);
        ctx.fillStyle = "#14304d"; ctx.fillText(s.name, X + 8, Y + 4);
      }
    }
    drawAxes(ctx) {
      const sites = {};
      for (const s of this.scn.sites || []) sites[s.name] = s;
      ctx.font = "600 11px sans-serif";
      for (const r of this.scn.raids || []) {
        const col = FAMILY_COLOR[r.family] || "#e8590c";
        const head = [[r.launch.lat, r.launch.lon], ...(r.waypoints || []).map((w) => [w.lat, w.lon])];
        let targets = Object.keys(r.targets || {}).filter((n) => sites[n]);
        if (!targets.length) targets = Object.keys(sites);
        const total = targets.reduce((a, n) => a + ((r.targets || {})[n] || 1), 0);
        for (const n of targets) {
          const pts = [...head, [sites[n].lat, sites[n].lon]];
          ctx.beginPath(); this.pathLatLon(ctx, pts);
          ctx.strokeStyle = col + "99"; ctx.lineWidth = 1 + 3 * (((r.targets || {})[n] || 1) / total);
          ctx.setLineDash([8, 5]); ctx.stroke(); ctx.setLineDash([]);
          const a = pts[pts.length - 2], bb = pts[pts.length - 1];
          const X = this.sx(bb[1]), Y = this.sy(bb[0]), ang = Math.atan2(Y - this.sy(a[0]), X - this.sx(a[1]));
          const tipX = X - 9 * Math.cos(ang), tipY = Y - 9 * Math.sin(ang);
          ctx.beginPath(); ctx.moveTo(tipX, tipY);
          ctx.lineTo(tipX - 9 * Math.cos(ang - 0.4), tipY - 9 * Math.sin(ang - 0.4));
          ctx.lineTo(tipX - 9 * Math.cos(ang + 0.4), tipY - 9 * Math.sin(ang + 0.4));
          ctx.closePath(); ctx.fillStyle = col + "cc"; ctx.fill();
        }
        const X = this.sx(r.launch.lon), Y = this.sy(r.launch.lat);
        ctx.beginPath(); ctx.arc(X, Y, 5, 0, 2 * Math.PI); ctx.fillStyle = col; ctx.fill();
        if (this.layers.labels) {
          const s = r.count + " × " + r.threat;
          ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.85)"; ctx.strokeText(s, X + 8, Y - 6);
          ctx.fillStyle = col; ctx.fillText(s, X + 8, Y - 6);
        }
      }
    }
    drawScale(ctx) {
      const m = niceStep((110 / this.s) * 111320);
      const px = (m / 111320) * this.s;
      const x = 14, y = this.h - 16;
      ctx.strokeStyle = "#333"; ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.moveTo(x, y - 4); ctx.lineTo(x, y); ctx.lineTo(x + px, y); ctx.lineTo(x + px, y - 4); ctx.stroke();
      ctx.fillStyle = "#333"; ctx.font = "11px sans-serif"; ctx.textAlign = "left";
      ctx.fillText(m >= 1000 ? m / 1000 + " km" : m + " m", x + px + 6, y + 1);
    }
    posAt(th, t) {
      const tt = th.t, n = tt.length;
      if (t <= tt[0]) return [th.lat[0], th.lon[0]];
      if (t >= tt[n - 1]) return [th.lat[n - 1], th.lon[n - 1]];
      const k = upperBound(tt, t);
      const f = (t - tt[k - 1]) / (tt[k] - tt[k - 1] || 1);
      return [th.lat[k - 1] + f * (th.lat[k] - th.lat[k - 1]), th.lon[k - 1] + f * (th.lon[k] - th.lon[k - 1])];
    }
    render() {
      const ctx = this.canvas.getContext("2d");
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(this.base, 0, 0);
      ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
      if (!this.replay) { this.drawSites(ctx); return; }
      const T = this.time, rp = this.replay;
      const pos = new Array(this.threats.length);
      const groups = {};
      const flash = Math.max(30, rp.duration_s / 250);
      for (let i = 0; i < this.threats.length; i++) {
        const th = this.threats[i];
        if (T < th.t[0]) continue;
        const tEnd = Math.min(T, th.end);
        const p = this.posAt(th, tEnd);
        pos[i] = p;
        const fam = this.families[th.type];
        if (T < th.end) (groups[fam] = groups[fam] || []).push(i);
        if (this.layers.trails && T < th.end) {
          ctx.beginPath(); ctx.moveTo(this.sx(th.lon[0]), this.sy(th.lat[0]));
          const k = upperBound(th.t, tEnd);
          for (let j = 1; j < k; j++) ctx.lineTo(this.sx(th.lon[j]), this.sy(th.lat[j]));
          ctx.lineTo(this.sx(p[1]), this.sy(p[0]));
          ctx.strokeStyle = (FAMILY_COLOR[fam] || "#e8590c") + "40"; ctx.lineWidth = 1; ctx.stroke();
        }
      }
      // finished threats: kills as crosses, leakers as red rings
      ctx.lineWidth = 1.4;
      ctx.beginPath();
      for (let i = 0; i < this.threats.length; i++) {
        const th = this.threats[i];
        if (!pos[i] || T < th.end || th.fate !== rp.codes.killed) continue;
        const X = this.sx(pos[i][1]), Y = this.sy(pos[i][0]);
        ctx.moveTo(X - 3, Y - 3); ctx.lineTo(X + 3, Y + 3); ctx.moveTo(X + 3, Y - 3); ctx.lineTo(X - 3, Y + 3);
      }
      ctx.strokeStyle = "rgba(33,37,41,0.7)"; ctx.stroke();
      // leakers, one badge per impact point with their number
      const impacts = new Map();
      for (let i = 0; i < this.threats.length; i++) {
        const th = this.threats[i];
        if (!pos[i] || T < th.end || th.fate !== rp.codes.leaked) continue;
        const X = this.sx(pos[i][1]), Y = this.sy(pos[i][0]);
        const age = T - th.end;
        if (age < flash) {
          ctx.beginPath(); ctx.arc(X, Y, 8 + 16 * (age / flash), 0, 2 * Math.PI);
          ctx.strokeStyle = "rgba(201,42,42," + (1 - age / flash) + ")"; ctx.lineWidth = 2; ctx.stroke();
        }
        const key = Math.round(X / 4) + ":" + Math.round(Y / 4);
        const hitAt = impacts.get(key) || { X: X, Y: Y, n: 0 };
        hitAt.n += 1;
        impacts.set(key, hitAt);
      }
      // engagements in progress, and recent kills
      const e = rp.engagements;
      for (let k = 0; k < e.unit.length; k++) {
        const ts = e.t_start[k], te = e.t_end[k];
        if (T < ts || T > te + flash) continue;
        const p = pos[e.threat[k]];
        const u = this.units[e.unit[k]];
        if (!p || !u) continue;
        const X = this.sx(p[1]), Y = this.sy(p[0]);
        if (T <= te) {
          ctx.beginPath(); ctx.moveTo(this.sx(u.lon), this.sy(u.lat)); ctx.lineTo(X, Y);
          ctx.strokeStyle = (KIND_COLOR[u.kind] || "#1c7ed6") + "d0"; ctx.lineWidth = 1.3; ctx.stroke();
        } else if (e.outcome[k] === rp.codes.kill) {
          const age = (T - te) / flash;
          ctx.beginPath(); ctx.arc(X, Y, 4 + 10 * age, 0, 2 * Math.PI);
          ctx.strokeStyle = "rgba(230,119,0," + (1 - age) + ")"; ctx.lineWidth = 2; ctx.stroke();
        }
      }
      // threats in flight, batched per family
      for (const fam in groups) {
        ctx.beginPath();
        for (const i of groups[fam]) {
          const X = this.sx(pos[i][1]), Y = this.sy(pos[i][0]);
          ctx.moveTo(X + 3, Y); ctx.arc(X, Y, 3, 0, 2 * Math.PI);
        }
        ctx.fillStyle = FAMILY_COLOR[fam] || "#e8590c"; ctx.fill();
        ctx.strokeStyle = "rgba(255,255,255,0.9)"; ctx.lineWidth = 0.8; ctx.stroke();
      }
      this.drawSites(ctx);
      ctx.font = "700 10px sans-serif"; ctx.textAlign = "center";
      for (const h of impacts.values()) {
        const r = h.n > 9 ? 9 : h.n > 1 ? 8 : 5, bx = h.X - 10, by = h.Y - 10;
        ctx.beginPath(); ctx.arc(bx, by, r, 0, 2 * Math.PI);
        ctx.fillStyle = "#c92a2a"; ctx.fill(); ctx.strokeStyle = "#fff"; ctx.lineWidth = 1.5; ctx.stroke();
        if (h.n > 1) { ctx.fillStyle = "#fff"; ctx.fillText(String(h.n), bx, by + 3.5); }
      }
    }
    hit(px, py) {
      let best = null, bd = 100;
      const consider = (lat, lon, text) => {
        const d = (this.sx(lon) - px) ** 2 + (this.sy(lat) - py) ** 2;
        if (d < bd) { bd = d; best = text; }
      };
      for (const s of this.scn.sites || []) consider(s.lat, s.lon, s.name + "\nsite · " + (s.nation || "") + " · value " + fmt(s.value_eur, "eur"));
      for (const s of this.scn.sensors || []) consider(s.lat, s.lon, (s.name || s.type) + "\n" + s.type + " (" + s.kind + ") · range " + fmt(s.range_m / 1000, "count") + " km");
      for (const u of this.units) consider(u.lat, u.lon, (u.name || u.type) + "\n" + u.type + " (" + u.kind + ")" + (u.nation ? " · " + u.nation : "") + " · range " + fmt((u.min_range_m || 0) / 1000, "count") + "–" + fmt(u.max_range_m / 1000, "count") + " km");
      for (const r of this.scn.raids || []) consider(r.launch.lat, r.launch.lon, "raid: " + r.count + " × " + r.threat + " (" + r.family + ")");
      for (const o of this.overlays) {
        if (!this.layers["overlay:" + o.id]) continue;
        for (const f of o.features) {
          if (!f.label) continue;
          const n = f.kind === "point" || f.kind === "circle" ? 1 : f.pts.length;
          let lat = 0, lon = 0;
          for (let k = 0; k < n; k++) { lat += f.pts[k][0] / n; lon += f.pts[k][1] / n; }
          consider(lat, lon, f.label + "\n" + o.label);
        }
      }
      return best;
    }
    bindUi() {
      const c = this.canvas;
      let drag = null;
      c.addEventListener("wheel", (ev) => {
        ev.preventDefault();
        const r = c.getBoundingClientRect();
        this.zoom(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
      }, { passive: false });
      c.addEventListener("mousedown", (ev) => { drag = [ev.clientX, ev.clientY]; c.classList.add("dragging"); });
      window.addEventListener("mouseup", () => { drag = null; c.classList.remove("dragging"); });
      c.addEventListener("mousemove", (ev) => {
        const r = c.getBoundingClientRect();
        if (drag) {
          this.cx -= (ev.clientX - drag[0]) / this.s; this.cy += (ev.clientY - drag[1]) / this.s;
          drag = [ev.clientX, ev.clientY];
          this.drawBase();
          this.tooltip.hidden = true;
          return;
        }
        const h = this.hit(ev.clientX - r.left, ev.clientY - r.top);
        this.tooltip.hidden = !h;
        if (h) {
          this.tooltip.textContent = h;
          this.tooltip.style.left = Math.min(ev.clientX - r.left + 14, this.w - 200) + "px";
          this.tooltip.style.top = ev.clientY - r.top + 14 + "px";
        }
      });
      c.addEventListener("mouseleave", () => { this.tooltip.hidden = true; });
      c.addEventListener("dblclick", () => this.fit());
      this.card.querySelectorAll("[data-zoom]").forEach((b) => b.addEventListener("click", () => {
        const z = b.getAttribute("data-zoom");
        if (z === "fit" || z === "all") this.fit(z); else this.zoom(z === "in" ? 1.5 : 1 / 1.5);
      }));
      this.card.querySelectorAll("[data-layer]").forEach((b) => b.addEventListener("change", () => {
        this.layers[b.getAttribute("data-layer")] = b.checked;
        this.drawBase();
      }));
      this.drawLegend();
      if (this.replay) this.bindReplay();
      else this.card.querySelector(".layers [data-layer=trails]").parentElement.hidden = true;
      this.writeNote();
    }
    drawLegend() {
      const L = this.card.querySelector(".legend");
      const body = document.createElement("div"), head = document.createElement("div");
      body.className = "legend-body";
      const sec = (s) => { const d = document.createElement("div"); d.className = "sec"; d.textContent = s; body.appendChild(d); };
      const row = (sym, color, s) => {
        const d = document.createElement("div"), span = document.createElement("span");
        span.className = "sym"; span.style.color = color; span.textContent = sym;
        d.append(span, s); body.appendChild(d);
      };
      sec("Scenario");
      row("■", "#14304d", "defended site");
      if ((this.scn.sensors || []).length) row("▲", "#495057", "sensor (dotted: coverage)");
      const kinds = [...new Set(this.units.map((u) => u.kind))];
      for (const k of kinds) row("●", KIND_COLOR[k] || "#555", "fire unit: " + k.replace(/_/g, " "));
      const fams = [...new Set((this.scn.raids || []).map((r) => r.family).concat(this.families))];
      if (fams.length) sec("Threats");
      for (const f of fams) row("●", FAMILY_COLOR[f] || "#e8590c", f.replace(/_/g, " "));
      if (this.replay) {
        sec("Replay");
        row("×", "#212529", "killed");
        row("●", "#c92a2a", "leakers at a site (number)");
        row("—", "#1c7ed6", "engagement in progress");
      }
      if (this.overlays.length) sec("Overlays");
      for (const o of this.overlays) row("■", o.color || "#1c7ed6", o.label);
      head.className = "legend-head"; head.title = "show or hide the legend"; head.textContent = "Legend";
      L.replaceChildren(head, body);
      head.addEventListener("click", () => L.classList.toggle("collapsed"));
    }
    writeNote() {
      const n = this.card.querySelector(".replay-note");
      if (!this.replay) {
        if (!this.result.replay && !n.textContent) n.textContent = "No replay.json in this results folder: the map shows the scenario only.";
        return;
      }
      const t = this.replay.totals;
      let s = "Run 0: " + t.launched + " threats launched, " + t.engagements + " engagements.";
      if (t.shown < t.launched) s += " Showing every " + (t.launched / t.shown).toFixed(1) + "th threat (" + t.shown + " of " + t.launched + ") to keep the page light; counters and timeline count all of them.";
      if (t.points_shown < t.points_in) s += " Paths simplified from " + t.points_in.toLocaleString("en-US") + " to " + t.points_shown.toLocaleString("en-US") + " points.";
      s += " Drag to pan, scroll to zoom, double-click to fit the defence; ⤢ shows the whole raid.";
      n.textContent = s;
    }
    bindReplay() {
      const rp = this.replay;
      this.slider = this.card.querySelector(".slider");
      this.clockEl = this.card.querySelector(".clock");
      this.playBtn = this.card.querySelector(".play");
      this.counters = this.card.querySelector(".counters");
      const sel = this.card.querySelector(".speed");
      const target = rp.duration_s / 40;
      let bestIdx = 0;
      [30, 60, 120, 300, 600, 1200, 3000, 6000].forEach((v, i, arr) => {
        const o = document.createElement("option");
        o.value = v; o.textContent = "×" + v; sel.appendChild(o);
        if (Math.abs(Math.log(v / target)) < Math.abs(Math.log(arr[bestIdx] / target))) bestIdx = i;
      });
      sel.selectedIndex = bestIdx;
      this.slider.addEventListener("input", () => { this.setTime(+this.slider.value); });
      this.playBtn.addEventListener("click", () => (this.playing ? this.pause() : this.play()));
      this.speedSel = sel;
      this.setTime(0);
    }
    play() {
      if (this.time >= this.replay.duration_s) this.setTime(0);
      this.playing = true;
      this.playBtn.textContent = "❚❚";
      this.playBtn.setAttribute("aria-label", "pause");
      let last = performance.now();
      const step = (now) => {
        if (!this.playing) return;
        const dt = Math.min(0.25, (now - last) / 1000);
        last = now;
        const t = this.time + dt * +this.speedSel.value;
        this.setTime(Math.min(t, this.replay.duration_s));
        if (t >= this.replay.duration_s) this.pause(); else requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    }
    pause() {
      this.playing = false;
      this.playBtn.textContent = "▶";
      this.playBtn.setAttribute("aria-label", "play");
    }
    setTime(t) {
      this.time = t;
      this.slider.value = t;
      this.clockEl.textContent = clock(t) + " / " + clock(this.replay.duration_s).slice(2);
      const tl = this.replay.timeline;
      const launched = upperBound(tl.launch, t), killed = upperBound(tl.kill, t), leaked = upperBound(tl.leak, t);
      this.counters.innerHTML =
        "<span>launched <b>" + launched + "</b></span><span>airborne <b>" + (launched - killed - leaked) +
        "</b></span><span>killed <b>" + killed + "</b></span><span class=\"leak\">leaked <b>" + leaked +
        "</b></span><span>engagements <b>" + upperBound(tl.engage, t) + "</b></span>";
      if (this.onTime) this.onTime(t);
      this.render();
    }
  }

  /* Airborne / cumulative kills / leakers over the night; the cursor follows the replay. */
  function timelineChart(container, view) {
    const rp = view.replay, tl = rp.timeline, D = rp.duration_s;
    const top = 8, bottom = 24, left = 46, right = 12;
    const { svg, width, height } = newSvg(container, 120);
    const n = 240, ts = [], air = [], kil = [], lea = [];
    for (let i = 0; i <= n; i++) {
      const t = (D * i) / n, a = upperBound(tl.launch, t), k = upperBound(tl.kill, t), l = upperBound(tl.leak, t);
      ts.push(t); air.push(a - k - l); kil.push(k); lea.push(l);
    }
    const ymax = Math.max(1, ...air, ...kil, ...lea);
    const ty = ticks(0, ymax, 3, true), yTop = ty[ty.length - 1];
    const x = (t) => left + (t / D) * (width - left - right);
    const y = (v) => height - bottom - (v / yTop) * (height - top - bottom);
    const g = el("g", { class: "grid" }, svg), ax = el("g", { class: "axis" }, svg);
    for (const v of ty) { el("line", { x1: left, x2: width - right, y1: y(v), y2: y(v) }, g); txt(ax, left - 6, y(v) + 4, axisLabel(v, "count"), { "text-anchor": "end" }); }
    const hours = ticks(0, D / 3600, 8).filter((h) => h * 3600 <= D + 1e-6);
    for (const h of hours) txt(ax, x(h * 3600), height - 8, h + " h", { "text-anchor": "middle" });
    let d = "M" + x(0) + "," + y(0);
    ts.forEach((t, i) => { d += "L" + x(t) + "," + y(air[i]); });
    el("path", { d: d + "L" + x(D) + "," + y(0) + "Z", fill: "#e8590c", "fill-opacity": 0.22, stroke: "#e8590c", "stroke-width": 1 }, svg);
    for (const [vals, col] of [[kil, "#343a40"], [lea, "#c92a2a"]]) {
      el("path", { d: ts.map((t, i) => (i ? "L" : "M") + x(t) + "," + y(vals[i])).join(""), fill: "none", stroke: col, "stroke-width": 1.6 }, svg);
    }
    const cursor = el("line", { x1: x(0), x2: x(0), y1: top, y2: height - bottom, stroke: "#1f4e79", "stroke-width": 1.5 }, svg);
    const hitbox = el("rect", { x: left, y: top, width: width - left - right, height: height - top - bottom, fill: "transparent", style: "cursor:pointer" }, svg);
    hitbox.addEventListener("click", (ev) => {
      const r = svg.getBoundingClientRect();
      const px = ((ev.clientX - r.left) / r.width) * width;
      view.setTime(Math.min(D, Math.max(0, ((px - left) / (width - left - right)) * D)));
    });
    view.onTime = (t) => { cursor.setAttribute("x1", x(t)); cursor.setAttribute("x2", x(t)); };
    view.onTime(view.time);
    legend(container, [{ name: "airborne", color: "#e8590c" }, { name: "killed (cumulative)", color: "#343a40" },
      { name: "leaked (cumulative)", color: "#c92a2a" }]);
  }

  // ---------------------------------------------------------------- wiring
  const results = DATA.results;
  const resultColor = (i) => PALETTE[i % PALETTE.length];
  const HIST_LABEL = { leaked: "leakers per run", value_lost_eur: "value lost per run" };

  function drawChart(div) {
    const kind = div.getAttribute("data-chart");
    const ri = div.hasAttribute("data-result") ? +div.getAttribute("data-result") : null;
    const r = ri === null ? null : results[ri];
    // a chart that carries its own data (macros bar_chart, line_chart, scatter_chart, histogram_chart)
    const spec = div.hasAttribute("data-spec") ? JSON.parse(div.getAttribute("data-spec")) : null;
    if (kind === "bar") {
      barChart(div, spec.categories, spec.series, spec.unit, spec.empty);
    } else if (kind === "line") {
      lineChart(div, spec.x, spec.series, spec.unit, spec.x_label);
    } else if (kind === "scatter") {
      scatterChart(div, spec);
    } else if (kind === "histogram") {
      histChart(div, spec.series, spec.unit, spec.x_label);
    } else if (kind === "hist") {
      const m = div.getAttribute("data-metric");
      histChart(div, [{ name: r.label, color: m === "leaked" ? "#c44e52" : "#8172b3", hist: r.hist[m] }], unitOf(m), HIST_LABEL[m]);
    } else if (kind === "compare-hist") {
      const m = div.getAttribute("data-metric");
      histChart(div, results.map((x, i) => ({ name: x.label, color: resultColor(i), hist: x.hist_shared[m] })), unitOf(m), HIST_LABEL[m]);
    } else if (kind === "forest") {
      const m = div.getAttribute("data-metric");
      forestChart(div, results.map((x, i) => ({ name: x.label, color: resultColor(i), stats: x.summary.metrics[m] })), unitOf(m));
    } else if (kind === "stocks") {
      const c = r.campaign;
      multiples(div, c.nights, c.munitions.map((m, i) => Object.assign({ name: m, color: PALETTE[i % PALETTE.length] }, c.per_night["stock." + m] || {})), "count", "night");
    } else if (kind === "cum-spend") {
      const c = r.campaign;
      lineChart(div, c.nights, [
        Object.assign({ name: "defender", color: "#1f4e79" }, c.cumulative.defender_spend_eur || {}),
        Object.assign({ name: "attacker", color: "#c44e52" }, c.cumulative.attacker_spend_eur || {})], "eur", "night");
    } else if (kind === "night-leaks") {
      const c = r.campaign;
      const series = [Object.assign({ name: "leakers", color: "#c92a2a" }, c.per_night.leaked || {})];
      if (c.per_night.raid_size) series.push({ name: "raid size", color: "#868e96", mean: c.per_night.raid_size.mean, dash: true });
      lineChart(div, c.nights, series, "count", "night");
    } else if (kind === "horizon") {
      const h = r.campaign.horizon || {};
      const rows = [];
      for (const m in h.layer_exhausted || {}) rows.push({ name: m, color: "#e67700", stats: h.layer_exhausted[m] });
      if (h.leakage_threshold) rows.push({ name: "leak threshold", color: "#c92a2a", stats: h.leakage_threshold });
      const n = r.campaign.nights.length;
      if (rows.length) forestChart(div, rows, "nights", { x: n + 0.5, label: "end of campaign" });
      else div.textContent = "";
    } else if (kind === "compare-night" || kind === "compare-cum") {
      const col = div.getAttribute("data-column");
      const camp = results.map((x, i) => [x, i]).filter(([x]) => x.campaign);
      const longest = camp.reduce((a, [x]) => (x.campaign.nights.length > a.length ? x.campaign.nights : a), []);
      lineChart(div, longest, camp.map(([x, i]) => Object.assign({ name: x.label, color: resultColor(i) },
        (kind === "compare-night" ? x.campaign.per_night : x.campaign.cumulative)[col] || {})), unitOf(col), "night");
    }
  }

  const maps = new Map(); // map card -> MapView
  function drawSection(root) {
    root.querySelectorAll(".map-card").forEach((card) => {
      if (!maps.has(card)) {
        const view = new MapView(card, results[+card.getAttribute("data-result")]);
        maps.set(card, view);
        const tl = card.querySelector('[data-chart="timeline"]');
        if (tl) timelineChart(tl, view);
      }
    });
    root.querySelectorAll(".chart").forEach((div) => { if (div.getAttribute("data-chart") !== "timeline") drawChart(div); });
  }
  function visibleRoots() {
    return [...document.querySelectorAll("section.compare, section.result")].filter((s) => !s.hidden);
  }
  document.querySelectorAll(".tab").forEach((b) => b.addEventListener("click", () => {
    const k = b.getAttribute("data-tab");
    document.querySelectorAll(".tab").forEach((x) => x.classList.toggle("active", x === b));
    document.querySelectorAll("section.result").forEach((s) => { s.hidden = s.getAttribute("data-result") !== k; });
    const sec = document.getElementById("result-" + k);
    drawSection(sec);
    sec.querySelectorAll(".map-card").forEach((card) => { const v = maps.get(card); v.resize(); v.drawBase(); });
  }));
  visibleRoots().forEach(drawSection);
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      visibleRoots().forEach((root) => {
        root.querySelectorAll(".chart").forEach((div) => { if (div.getAttribute("data-chart") !== "timeline") drawChart(div); });
        root.querySelectorAll(".map-card").forEach((card) => {
          const v = maps.get(card);
          if (v) {
            v.resize();
            const tl = card.querySelector('[data-chart="timeline"]');
            if (tl) timelineChart(tl, v);
          }
        });
      });
    }, 150);
  });
  window.leapsimReport = { maps: maps, data: DATA };
})();
