// Plain data tables built from arrays, for results and the charts' text alternative (ES module).
//
// Every cell is set with textContent (never innerHTML), so names typed by
// merchants or in a CSV cannot inject markup. A column marked numeric is
// right-aligned by the stylesheet.

export function dataTable({ caption, columns, rows }) {
  const table = document.createElement("table");
  table.className = "table";
  if (caption) {
    const cap = document.createElement("caption");
    cap.textContent = caption;
    table.append(cap);
  }
  const head = document.createElement("thead");
  const headRow = document.createElement("tr");
  for (const column of columns) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = column.label;
    if (column.numeric) th.className = "num";
    headRow.append(th);
  }
  head.append(headRow);
  const body = document.createElement("tbody");
  for (const row of rows) {
    const tr = document.createElement("tr");
    row.forEach((value, i) => {
      const td = document.createElement("td");
      td.textContent = value === null || value === undefined ? "—" : String(value);
      if (columns[i].numeric) td.className = "num";
      tr.append(td);
    });
    body.append(tr);
  }
  table.append(head, body);
  return table;
}

// A <dl> of label → value pairs, for headline figures.
export function figureList(dl, pairs) {
  dl.replaceChildren();
  for (const [label, value] of pairs) {
    const wrap = document.createElement("div");
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = value;
    wrap.append(dt, dd);
    dl.append(wrap);
  }
}
