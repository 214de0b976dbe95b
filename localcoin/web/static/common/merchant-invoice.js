// The monthly qualified invoice (適格請求書) for the shop's fees: shown here from
// the API's figures, printed (or saved as PDF) with the browser's print, and
// downloadable as the API's own printable HTML and as CSV for the accounts.

import { $, el, fill, row } from "./merchant-elements.js";
import { t, yen } from "./merchant-language.js";
import { guarded } from "./merchant-notices.js";
import { fileUrl, get } from "./merchant-session.js";

const links = [];

function percent(rateBp) {
  return `${rateBp / 100}%`;
}

function lastMonth() {
  const now = new Date();
  const tokyo = new Date(now.getTime() + 9 * 3600 * 1000);
  const first = new Date(Date.UTC(tokyo.getUTCFullYear(), tokyo.getUTCMonth() - 1, 1));
  return first.toISOString().slice(0, 7);
}

function forgetLinks() {
  while (links.length) URL.revokeObjectURL(links.pop());
}

async function download(id, month, format) {
  const url = await fileUrl(`/v1/merchant/invoice?month=${month}&format=${format}`);
  links.push(url);
  const link = $(id);
  link.href = url;
  link.download = `invoice_${month}.${format}`;
  link.hidden = false;
}

function render(invoice) {
  $("invoice-title").textContent = t("invoice.title");
  $("invoice-to").textContent = t("invoice.to", { name: invoice.merchant_name });
  $("invoice-issuer").textContent = invoice.issuer_name;
  $("invoice-registration").textContent = invoice.registration_number;
  $("invoice-number").textContent = invoice.number;
  $("invoice-period").textContent = `${invoice.month}-01 – ${invoice.period_end}`;
  $("invoice-issued").textContent = invoice.issued_on;
  $("invoice-provisional").hidden = !invoice.provisional;
  $("invoice-total").textContent = yen(invoice.total);
  fill($("invoice-lines"), invoice.lines.map((line) =>
    row(t(`invoice.kind.${line.kind}`), line.count, percent(line.rate_bp), yen(line.amount))), 4, t("invoice.none"));
  const rates = invoice.rates.map((rate) =>
    row(percent(rate.rate_bp), yen(rate.base), yen(rate.tax), yen(rate.base + rate.tax)));
  rates.push(el("tr", { class: "total-row" },
    el("th", { scope: "row", text: t("invoice.sum") }),
    el("td", { text: yen(invoice.base) }), el("td", { text: yen(invoice.tax) }), el("td", { text: yen(invoice.total) })));
  fill($("invoice-rates"), rates, 4, t("invoice.none"));
  $("invoice-note").textContent = t("invoice.note", {
    per: yen(invoice.per_transaction_tax), diff: yen(invoice.rounding_difference),
  });
  $("invoice-doc").hidden = false;
}

async function show() {
  const month = $("invoice-month").value;
  forgetLinks();
  const invoice = await get(`/v1/merchant/invoice?month=${month}`);
  render(invoice);
  await Promise.all([download("invoice-html", month, "html"), download("invoice-csv", month, "csv")]);
}

export async function refresh() {
  if (!$("invoice-month").value) $("invoice-month").value = lastMonth();
}

export function forget() {
  forgetLinks();
  $("invoice-doc").hidden = true;
  $("invoice-html").hidden = true;
  $("invoice-csv").hidden = true;
}

export function install() {
  $("invoice-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(show);
  });
  $("invoice-print").addEventListener("click", () => window.print());
}
