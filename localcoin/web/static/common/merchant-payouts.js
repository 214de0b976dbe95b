// Cash-out (換金): a request for part of the available balance, paid to the
// registered account less the cash-out fee at the next settlement batch; the
// list shows each request's status as the bank moves it along.

import { $, fill, row, tokyoTime } from "./merchant-elements.js";
import { statusText, t, yen } from "./merchant-language.js";
import { announce, guarded } from "./merchant-notices.js";
import { get, post } from "./merchant-session.js";

// The till shows the balance too; a terminal's key may not read it, and the
// till works without it.
export async function balance() {
  try {
    const me = await get("/v1/merchant");
    $("balance").textContent = yen(me.balance.available);
  } catch (_) {
    $("balance").textContent = "—";
  }
}

export async function refresh() {
  const [me, payouts] = await Promise.all([get("/v1/merchant"), get("/v1/payouts?limit=50")]);
  $("payout-available").textContent = yen(me.balance.available);
  $("balance").textContent = yen(me.balance.available);
  fill($("payout-rows"), payouts.data.map((p) =>
    row(tokyoTime(p.requested_at), yen(p.amount), yen(p.fee), yen(p.net), statusText(p.status))), 5, t("empty"));
}

export function install() {
  $("payout-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      const created = await post("/v1/payouts", { amount: Number($("payout-amount").value) });
      $("payout-amount").value = "";
      announce(t("payout.done") + " " + yen(created.amount));
      await refresh();
    });
  });
}
