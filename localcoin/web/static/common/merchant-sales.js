// Today's sales (the business day in Japan time): the totals and the hourly
// chart from the day's summary (GET /v1/merchant/sales, summed in the
// database), the rows from the merchant's charges, newest first, read until
// the first one before today's midnight in Tokyo. Polled every few seconds so
// payments appear as they arrive. Each row offers a full or partial refund
// (the refund form proposes what is left).

import { drawHours } from "./merchant-chart.js";
import { $, el, fill, row, tokyoTime } from "./merchant-elements.js";
import { statusText, t, yen } from "./merchant-language.js";
import { announce, guarded } from "./merchant-notices.js";
import { fileUrl, get, pages, post } from "./merchant-session.js";

const POLL_MS = 3000;
const ROW_PAGES = 5;
const DAY_OF = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit" });

let seen = null;
let timer = null;
let openRefund = null;
let latest = [];
let summary = null;

function todayStart() {
  return Date.parse(DAY_OF.format(new Date()) + "T00:00:00+09:00");
}

function refundForm(charge) {
  const left = charge.amount - charge.refunded;
  const id = "refund-" + charge.id;
  const input = el("input", { id, type: "number", min: "1", max: String(left), step: "1", value: String(left), required: true });
  const form = el("form", { class: "refund" },
    el("label", { for: id, text: t("refund.amount") }), input,
    el("button", { type: "submit", class: "danger", text: t("refund.ok") }),
    el("button", { type: "button", class: "ghost", text: t("refund.close"),
      onclick: () => { openRefund = null; render(); } }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      await post("/v1/refunds", { charge_id: charge.id, amount: Number(input.value) });
      openRefund = null;
      announce(t("refunded.done") + " " + yen(Number(input.value)));
      await refresh();
    });
  });
  return form;
}

function actionCell(charge) {
  if (charge.refunded >= charge.amount) return "";
  if (openRefund === charge.id) return refundForm(charge);
  return el("button", {
    type: "button", class: "ghost", text: t("do.refund"),
    "aria-label": t("do.refund") + " " + yen(charge.amount) + " " + tokyoTime(charge.created_at),
    onclick: () => { openRefund = charge.id; render(); $("refund-" + charge.id).focus(); },
  });
}

function render() {
  const charges = latest;
  if (summary !== null) {
    $("sales-total").textContent = yen(summary.amount);
    $("sales-count").textContent = String(summary.count);
    $("sales-refunded").textContent = yen(summary.refunded);
    $("sales-net").textContent = yen(summary.net);
    drawHours($("sales-chart"), summary.hours.map((h) => h.amount - h.refunded), (hours) => t("chart.desc") + ": " + hours
      .map((v, h) => (v > 0 ? h + ":00 " + yen(v) : null)).filter(Boolean).join(", "));
  }
  // An open refund form is left alone, so a poll never wipes what is typed.
  if (openRefund !== null && $("refund-" + openRefund)) return renderRecent(charges);
  fill($("charges"), charges.map((c) => {
    const line = row(tokyoTime(c.created_at), yen(c.amount), yen(c.refunded), statusText(c.status), actionCell(c));
    line.dataset.charge = c.id;
    return line;
  }), 5, t("empty"));
  renderRecent(charges);
}

function renderRecent(charges) {
  $("recent").replaceChildren(...charges.slice(0, 5).map((c) =>
    el("li", { text: tokyoTime(c.created_at) + "  " + yen(c.amount) + "  " + statusText(c.status) })));
  if (charges.length === 0) $("recent").append(el("li", { text: t("empty") }));
}

export async function refresh() {
  const start = todayStart();
  const [day, charges] = await Promise.all([
    get("/v1/merchant/sales"),
    pages("/v1/charges", (c) => Date.parse(c.created_at) >= start, ROW_PAGES),
  ]);
  if (seen !== null) {
    const fresh = charges.filter((c) => !seen.has(c.id));
    if (fresh.length > 0) {
      announce(t("new.payment") + " " + fresh.map((c) => yen(c.amount)).join(", "));
      document.dispatchEvent(new CustomEvent("merchant:sales-changed"));
    }
  }
  seen = new Set(charges.map((c) => c.id));
  latest = charges;
  summary = day;
  render();
}

function loop() {
  timer = setTimeout(async () => {
    try { await refresh(); } catch (_) { /* the next round tries again */ }
    if (timer !== null) loop();
  }, POLL_MS);
}

// The day's revenue by department and window, for the city's finance office.
async function downloadRevenue() {
  const day = DAY_OF.format(new Date());
  const link = el("a", { href: await fileUrl("/v1/merchant/revenue.csv?date=" + day), download: "revenue-" + day + ".csv" });
  document.body.append(link);
  link.click();
  link.remove();
}

export function install() {
  $("revenue-csv").addEventListener("click", () => guarded(downloadRevenue));
}

export function start() {
  stop();
  seen = null;
  document.addEventListener("merchant:payment", onPayment);
  guarded(refresh);
  loop();
}

function onPayment() { guarded(refresh); }

export function stop() {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  document.removeEventListener("merchant:payment", onPayment);
}

export function rerender() { render(); }
