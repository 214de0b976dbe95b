// The coin's limits on money creation and cash-outs, and the card top-ups the
// bank must act on (ES module).
//
// Limits: what an auditor asks first — above which amount issuance waits for a
// second person, what one key may issue a day, the municipality's points
// budget (with what it has granted), and the smallest cash-out and transfer.
// The issuer and the operator change them; the municipality reads them.
// Card top-ups: refunds to make by hand, coin spent before a refund or a lost
// dispute, and open disputes with what their hold keeps frozen.

import { dataTable, figureList } from "/static/common/admin-tables.js";

const $ = (id) => document.getElementById(id);

// Each form field is named after the rule it sets (POST /v1/coin_rules).
const LIMITS = [
  "approval_threshold",
  "daily_issuance_max_per_key",
  "points_budget",
  "step_up_amount",
  "cashout_min",
  "btob_min",
  "fee_min",
  "pending_payouts_max",
];

export function setUpRules(ctx) {
  const { t } = ctx;

  function fill(rules) {
    for (const name of LIMITS) {
      const value = rules[name];
      $(`rule-${name}`).value = value === null ? "" : String(value);
    }
    const budget = rules.points_budget === null ? t("rules.no_budget") : ctx.yen(rules.points_budget);
    figureList($("rules-figures"), [
      [t("rules.points_granted"), `${ctx.yen(rules.points_granted)} / ${budget}`],
    ]);
  }

  async function loadRules() {
    try {
      fill(await ctx.call("/v1/coin_rules"));
    } catch (error) {
      ctx.fail(error);
    }
  }

  $("rules-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const body = {};
    for (const name of LIMITS) {
      const text = $(`rule-${name}`).value.trim();
      // A field left empty (a budget never set) keeps its rule as it is.
      if (text !== "") body[name] = Number(text);
    }
    await ctx.busy(form.querySelector("button[type=submit]"), async () => {
      try {
        fill(await ctx.call("/v1/coin_rules", { method: "POST", body }));
        ctx.say(t("rules.saved"));
      } catch (error) {
        ctx.fail(error);
      }
    });
  });

  async function loadCardTopups() {
    const box = $("card-topups-list");
    try {
      const page = await ctx.call("/v1/card_topups/needing_attention");
      box.replaceChildren();
      if (!page.data.length) {
        const p = document.createElement("p");
        p.textContent = t("cards.none");
        box.append(p);
        return;
      }
      box.append(
        dataTable({
          caption: t("cards.caption"),
          columns: [
            { label: t("cards.id") },
            { label: t("cards.wallet") },
            { label: t("cards.amount"), numeric: true },
            { label: t("cards.refunded"), numeric: true },
            { label: t("cards.frozen"), numeric: true },
            { label: t("cards.status") },
            { label: t("cards.since") },
          ],
          rows: page.data.map((c) => [
            c.id,
            c.wallet_id,
            ctx.yen(c.amount),
            ctx.yen(c.refunded_amount),
            ctx.yen(c.frozen),
            t(`cards.status_${c.status}`),
            ctx.i18n.dateTime(c.disputed_at || c.updated_at),
          ]),
        }),
      );
    } catch (error) {
      box.replaceChildren();
      ctx.fail(error);
    }
  }

  return { rules: loadRules, cards: loadCardTopups };
}
