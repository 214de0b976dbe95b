// Building the console's DOM from API data: text always goes in as
// textContent (never innerHTML), so nothing a customer or integrator typed can
// become markup.

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

export function row(...cells) {
  return el("tr", null, ...cells.map((cell) => (cell instanceof Node ? el("td", null, cell) : el("td", { text: String(cell) }))));
}

export function fill(tbody, rows, columns, emptyText) {
  tbody.replaceChildren(...rows);
  if (rows.length === 0) {
    tbody.append(el("tr", null, el("td", { colspan: String(columns), text: emptyText })));
  }
}

export function $(id) { return document.getElementById(id); }

// Japan time for a UTC ISO timestamp, as the shop reads the clock on the wall.
const TOKYO = new Intl.DateTimeFormat("ja-JP", {
  timeZone: "Asia/Tokyo", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
});
export function tokyoTime(iso) { return TOKYO.format(new Date(iso)); }
