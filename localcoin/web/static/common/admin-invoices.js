// The month's qualified invoices (適格請求書), one per merchant that paid fees,
// as the bank lists them beside the fee statement (ES module). Without the
// issuer's registration number there are no invoices: the list says so.

import { dataTable } from "/static/common/admin-tables.js";

function note(text) {
  const p = document.createElement("p");
  p.id = "invoices-missing";
  p.textContent = text;
  return p;
}

export async function invoicesTable(ctx, month) {
  const { t } = ctx;
  let list;
  try {
    list = await ctx.call("/v1/settlement/invoices", { query: { month } });
  } catch (error) {
    if (error.code === "registration_number_not_set") return note(t("invoices.no_registration"));
    throw error;
  }
  const table = dataTable({
    caption: t("invoices.caption", { count: list.data.length }),
    columns: [
      { label: t("invoices.number") },
      { label: t("col.merchant") },
      { label: t("invoices.base"), numeric: true },
      { label: t("invoices.tax"), numeric: true },
      { label: t("invoices.total"), numeric: true },
      { label: t("invoices.difference"), numeric: true },
    ],
    rows: list.data.map((i) => [
      i.number,
      i.merchant_name,
      ctx.yen(i.base),
      ctx.yen(i.tax),
      ctx.yen(i.total),
      ctx.yen(i.rounding_difference),
    ]),
  });
  table.id = "invoices-table";
  return table;
}
