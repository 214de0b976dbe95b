// Accessible SVG charts for the KPI dashboard, drawn here with no library (ES module).
//
// Each chart is an <svg role="img"> named by the figure's caption and
// described by a one-sentence <desc> (first, last, highest), and the page
// puts the same figures in a table beside it, so nothing is only visual.
// Colours come from admin-console.css classes (high contrast; no inline style,
// which the CSP forbids).

const NS = "http://www.w3.org/2000/svg";

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

function frame(container, { labelledBy, description, width, height }) {
  container.replaceChildren();
  const svg = el("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "chart-svg",
    role: "img",
    "aria-labelledby": labelledBy,
    "aria-describedby": `${container.id}-desc`,
  });
  svg.append(el("desc", { id: `${container.id}-desc` }, description));
  container.append(svg);
  return svg;
}

// points: [{label, value}] in order; format(value) -> text.
export function lineChart(container, { points, labelledBy, description, format }) {
  const width = 640;
  const height = 260;
  const pad = { left: 96, right: 16, top: 16, bottom: 40 };
  const svg = frame(container, { labelledBy, description, width, height });
  const max = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (i) => pad.left + (points.length <= 1 ? plotW / 2 : (i * plotW) / (points.length - 1));
  const y = (v) => pad.top + plotH - (v / max) * plotH;
  for (const tick of [0, max / 2, max]) {
    svg.append(el("line", { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick), class: "grid" }));
    svg.append(el("text", { x: pad.left - 8, y: y(tick) + 5, class: "axis", "text-anchor": "end" }, format(tick)));
  }
  const marks = points.length > 2 ? [0, Math.floor((points.length - 1) / 2), points.length - 1] : points.map((_, i) => i);
  for (const i of marks) {
    // The first and last labels hang inwards so they are not cut at the edges.
    const anchor = points.length > 1 && i === 0 ? "start" : points.length > 1 && i === points.length - 1 ? "end" : "middle";
    svg.append(el("text", { x: x(i), y: height - 12, class: "axis", "text-anchor": anchor }, points[i].label));
  }
  if (points.length) {
    const d = points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
    svg.append(el("path", { d, class: "line" }));
    points.forEach((p, i) => svg.append(el("circle", { cx: x(i), cy: y(p.value), r: 3, class: "dot" })));
  }
  return svg;
}

// bars: [{label, value}]; horizontal, so long Japanese labels stay readable.
export function barChart(container, { bars, labelledBy, description, format }) {
  const row = 36;
  const width = 640;
  const pad = { left: 150, right: 120, top: 8 };
  const height = pad.top * 2 + Math.max(1, bars.length) * row;
  const svg = frame(container, { labelledBy, description, width, height });
  const max = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const plotW = width - pad.left - pad.right;
  bars.forEach((bar, i) => {
    const top = pad.top + i * row;
    const w = Math.max(bar.value > 0 ? 2 : 0, (bar.value / max) * plotW);
    svg.append(el("text", { x: pad.left - 8, y: top + row / 2 + 5, class: "axis", "text-anchor": "end" }, bar.label));
    svg.append(el("rect", { x: pad.left, y: top + 6, width: w, height: row - 12, class: `bar bar-${i % 4}` }));
    svg.append(el("text", { x: pad.left + w + 8, y: top + row / 2 + 5, class: "value" }, format(bar.value)));
  });
  return svg;
}
