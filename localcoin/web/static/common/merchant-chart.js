// Today's sales per hour as a plain SVG bar chart: no library, drawn from the
// same numbers the totals show, with a text description for screen readers
// (the table below the chart lists every payment too).

const NS = "http://www.w3.org/2000/svg";
const WIDTH = 720;
const HEIGHT = 240;
const LEFT = 40;
const BOTTOM = 24;

function shape(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function drawHours(svg, byHour, describe) {
  for (const old of svg.querySelectorAll("g")) old.remove();
  const group = shape("g", { "aria-hidden": "true" });
  const top = Math.max(1, ...byHour);
  const slot = (WIDTH - LEFT) / 24;
  const plot = HEIGHT - BOTTOM - 8;
  group.append(shape("line", { x1: LEFT, y1: HEIGHT - BOTTOM, x2: WIDTH, y2: HEIGHT - BOTTOM, class: "axis" }));
  byHour.forEach((value, hour) => {
    const height = Math.round((value / top) * plot);
    const x = LEFT + hour * slot + 2;
    if (value > 0) {
      group.append(shape("rect", { x, y: HEIGHT - BOTTOM - height, width: slot - 4, height, class: "bar" }));
    }
    if (hour % 3 === 0) {
      group.append(shape("text", { x: x + (slot - 4) / 2, y: HEIGHT - 6, class: "tick" }, String(hour)));
    }
  });
  group.append(shape("text", { x: 4, y: 16, class: "tick start" }, "¥" + top.toLocaleString("ja-JP")));
  svg.append(group);
  svg.querySelector("desc").textContent = describe(byHour);
}
