// Winding the coin down (払戻し, Payment Services Act art. 20) (ES module).
//
// The bank asks with three dates; the approvals screen takes the second
// person's yes, which is the public notice. Afterwards the screen shows the
// statutory figures, takes a resident's claim at the counter (after the
// clerk checked who they are), and closes what is left once the claims close.

import { figureList } from "/static/common/admin-tables.js";

const $ = (id) => document.getElementById(id);
// Dates are picked as Tokyo days: issuance and acceptance end at the start of the
// chosen day, the claims close at its end.
const dayStart = (day) => `${day}T00:00:00+09:00`;
const dayEnd = (day) => `${day}T23:59:59+09:00`;

export function setUpWinddown(ctx) {
  const { t } = ctx;

  function show(report) {
    $("winddown-ask").hidden = Boolean(report);
    $("winddown-state").hidden = !report;
    if (!report) return;
    const when = (at) => (at ? ctx.i18n.dateTime(at) : "—");
    figureList($("winddown-figures"), [
      [t("winddown.announced"), when(report.announced_at)],
      [t("winddown.issuance_ends"), when(report.issuance_ends_at)],
      [t("winddown.acceptance_ends"), when(report.acceptance_ends_at)],
      [t("winddown.claims_close"), when(report.claims_close_at)],
      [t("winddown.claims"), t("winddown.claims_count", { n: report.claims.count, counter: report.claims.at_counter, total: ctx.yen(report.claims.total) })],
      [t("winddown.owed"), ctx.yen(report.owed_on_claims)],
      [t("winddown.outstanding"), ctx.yen(report.refundable_outstanding)],
      [t("winddown.unclaimed"), report.unclaimed_total === null ? "—" : ctx.yen(report.unclaimed_total)],
    ]);
  }

  async function load() {
    try {
      show(await ctx.call("/v1/coin/winddown"));
    } catch (error) {
      if (error.code === "winddown_not_announced") show(null);
      else ctx.fail(error);
    }
  }

  $("winddown-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const body = {
      issuance_ends_at: dayStart($("wd-issuance").value),
      acceptance_ends_at: dayStart($("wd-acceptance").value),
      claims_close_at: dayEnd($("wd-claims").value),
    };
    await ctx.busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const asked = await ctx.call("/v1/coin/winddown", { method: "POST", body });
        ctx.say(t("winddown.pending", { id: asked.approval_id }));
      } catch (error) {
        ctx.fail(error);
      }
    });
  });

  $("winddown-claim-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const resident = $("wd-resident").value.trim();
    const body = {
      bank_account: {
        bank_code: $("wd-bank").value.trim(),
        branch_code: $("wd-branch").value.trim(),
        account_type: "ordinary",
        account_number: $("wd-number").value.trim(),
        holder_kana: $("wd-holder").value.trim(),
      },
    };
    await ctx.busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const claim = await ctx.call(`/v1/residents/${encodeURIComponent(resident)}/winddown_claims`, { method: "POST", body });
        ctx.say(t("winddown.claimed", { amount: ctx.yen(claim.amount), points: ctx.i18n.coin(claim.points_not_refunded) }));
        form.reset();
        await load();
      } catch (error) {
        ctx.fail(error);
      }
    });
  });

  $("winddown-close").addEventListener("click", async (event) => {
    await ctx.busy(event.currentTarget, async () => {
      try {
        const report = await ctx.call("/v1/coin/winddown/close", { method: "POST" });
        show(report);
        ctx.say(t("winddown.closed", { total: ctx.yen(report.unclaimed_total) }));
      } catch (error) {
        ctx.fail(error);
      }
    });
  });

  return { winddown: load };
}
