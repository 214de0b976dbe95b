// The resident's receipt at the till: read from the API (GET
// /v1/charges/{id}/receipt: payee, department, window, amount, time, number)
// and printed with the page's print styles, which print the receipt alone.

import { $ } from "./merchant-elements.js";
import { yen } from "./merchant-language.js";
import { get } from "./merchant-session.js";

const WHEN = new Intl.DateTimeFormat("ja-JP", {
  timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
});

export async function showReceipt(chargeId) {
  const receipt = await get("/v1/charges/" + encodeURIComponent(chargeId) + "/receipt");
  $("receipt-payee").textContent = receipt.payee;
  $("receipt-department").textContent = receipt.department || "—";
  $("receipt-window").textContent = receipt.window || "—";
  $("receipt-for").textContent = receipt.reference || "—";
  $("receipt-amount").textContent = yen(receipt.amount);
  $("receipt-refunded").textContent = yen(receipt.refunded);
  $("receipt-refunded-line").hidden = receipt.refunded === 0;
  $("receipt-time").textContent = WHEN.format(new Date(receipt.paid_at));
  $("receipt-coin").textContent = receipt.coin_name + "（" + receipt.issuer_name + "）";
  $("receipt-number").textContent = receipt.number;
  $("receipt").hidden = false;
  $("receipt-print").focus();
}

export function install() {
  $("receipt-print").addEventListener("click", () => window.print());
  $("receipt-close").addEventListener("click", () => { $("receipt").hidden = true; });
}
