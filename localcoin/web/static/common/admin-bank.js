// The bank's screens: counter top-ups, identity checks, merchant onboarding,
// settlement batches (close, Zengin file, bank results), reconciliation, the
// fee-sharing statement and the statutory unused-balance report (ES module).
//
// Every POST carries a fresh Idempotency-Key per click and its button is
// disabled while it runs, so neither a double click nor a retry by the
// browser moves money twice.

import { downloadFile } from "/static/common/admin-download.js";
import { clearFieldErrors, showFieldErrors } from "/static/common/admin-fields.js";
import { dataTable, figureList } from "/static/common/admin-tables.js";

const $ = (id) => document.getElementById(id);

function showResult(box, lines) {
  box.replaceChildren();
  for (const line of lines) {
    const p = document.createElement("p");
    p.textContent = line;
    box.append(p);
  }
  box.hidden = false;
}

export function setUpBank(ctx) {
  const { t } = ctx;
  let openBatch = null;

  // --- top-ups at the counter -------------------------------------------------
  $("topup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    clearFieldErrors(form);
    $("topup-result").hidden = true;
    const body = {
      wallet_id: $("topup-wallet").value.trim(),
      amount: Number($("topup-amount").value),
      channel: $("topup-channel").value,
      reference: $("topup-reference").value.trim(),
    };
    await ctx.busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const topup = await ctx.call("/v1/topups", { method: "POST", body });
        showResult($("topup-result"), [
          t("topup.done", { amount: ctx.yen(topup.amount), wallet: topup.wallet_id }),
          t("topup.id", { id: topup.id }),
        ]);
        ctx.say(t("topup.done", { amount: ctx.yen(topup.amount), wallet: topup.wallet_id }));
        form.reset();
      } catch (error) {
        showFieldErrors(form, error.problem || {}, (e) => ctx.describe(e));
        ctx.fail(error);
      }
    });
  });

  // --- identity check -----------------------------------------------------------
  $("verify-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const id = $("verify-resident").value.trim();
    const body = { method: $("verify-method").value, reference: $("verify-reference").value.trim() };
    await ctx.busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const resident = await ctx.call(`/v1/residents/${encodeURIComponent(id)}/verify`, {
          method: "POST",
          body,
        });
        const line = t("verify.done", { name: resident.display_name, tier: t(`tier.${resident.tier}`) });
        showResult($("verify-result"), [line]);
        ctx.say(line);
        form.reset();
      } catch (error) {
        ctx.fail(error);
      }
    });
  });

  // --- merchant onboarding ----------------------------------------------------------
  $("merchant-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    clearFieldErrors(form);
    $("merchant-result").hidden = true;
    const body = {
      name: $("m-name").value.trim(),
      name_kana: $("m-name-kana").value.trim(),
      category: $("m-category").value,
      bank_account: {
        bank_code: $("m-bank").value.trim(),
        branch_code: $("m-branch").value.trim(),
        account_type: $("m-type").value,
        account_number: $("m-number").value.trim(),
        holder_kana: $("m-holder").value.trim(),
      },
    };
    await ctx.busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const created = await ctx.call("/v1/merchants", { method: "POST", body });
        showResult($("merchant-result"), [
          t("merchant.done", { id: created.merchant_id }),
          t("merchant.wallet", { id: created.wallet_id }),
          t("merchant.key", { key: created.api_key }),
        ]);
        ctx.say(t("merchant.done", { id: created.merchant_id }));
        form.reset();
      } catch (error) {
        const shown = showFieldErrors(form, error.problem || {}, (e) => ctx.describe(e));
        if (shown) ctx.fail({ code: "", message: t("merchant.fix_fields", { n: shown }) });
        else ctx.fail(error);
      }
    });
  });

  // --- settlement batches ---------------------------------------------------------------
  function statusWord(status) {
    return t(`batch.status.${status}`);
  }

  async function loadBatches() {
    const tbody = $("batch-table").querySelector("tbody");
    try {
      const page = await ctx.call("/v1/settlement/batches", { query: { limit: 30 } });
      tbody.replaceChildren();
      if (!page.data.length) {
        const tr = document.createElement("tr");
        const td = document.createElement("td");
        td.colSpan = 6;
        td.textContent = t("batches.none");
        tr.append(td);
        tbody.append(tr);
      }
      for (const batch of page.data) {
        const tr = document.createElement("tr");
        const cells = [
          batch.business_date,
          batch.transfer_date,
          statusWord(batch.status),
          String(batch.totals.count),
          ctx.yen(batch.totals.net),
        ];
        cells.forEach((text, i) => {
          const td = document.createElement("td");
          td.textContent = text;
          if (i >= 3) td.className = "num";
          tr.append(td);
        });
        const td = document.createElement("td");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = t("batches.open");
        button.setAttribute("aria-label", t("batches.open_named", { date: batch.business_date }));
        button.addEventListener("click", () => showBatch(batch.id));
        td.append(button);
        tr.append(td);
        tbody.append(tr);
      }
    } catch (error) {
      ctx.fail(error);
    }
  }

  function renderBatch(batch) {
    openBatch = batch;
    $("batch-detail").hidden = false;
    $("batch-detail-title").textContent = t("batches.detail", {
      date: batch.business_date,
      status: statusWord(batch.status),
    });
    const pairs = [
      [t("col.transfer_date"), batch.transfer_date],
      [t("col.count"), String(batch.totals.count)],
      [t("col.amount"), ctx.yen(batch.totals.amount)],
      [t("col.fee"), ctx.yen(batch.totals.fee)],
      [t("col.net"), ctx.yen(batch.totals.net)],
    ];
    if (batch.results) {
      pairs.push([t("batches.paid"), `${batch.results.paid_count} / ${ctx.yen(batch.results.paid)}`]);
      pairs.push([t("batches.returned"), `${batch.results.returned_count} / ${ctx.yen(batch.results.returned)}`]);
    }
    figureList($("batch-totals"), pairs);
    const tbody = $("batch-payouts").querySelector("tbody");
    tbody.replaceChildren();
    const editable = batch.status === "exported";
    for (const payout of batch.payouts || []) {
      const tr = document.createElement("tr");
      const pick = document.createElement("td");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = "returned";
      box.value = payout.id;
      box.checked = payout.status === "returned";
      box.disabled = !editable;
      box.setAttribute("aria-label", t("batches.mark_returned", { id: payout.id }));
      pick.append(box);
      tr.append(pick);
      const cells = [
        payout.id,
        payout.merchant_id,
        ctx.yen(payout.amount),
        ctx.yen(payout.fee),
        ctx.yen(payout.net),
        t(`payout.status.${payout.status}`),
      ];
      cells.forEach((text, i) => {
        const td = document.createElement("td");
        td.textContent = text;
        if (i >= 2 && i <= 4) td.className = "num";
        tr.append(td);
      });
      tbody.append(tr);
    }
    $("batch-download").disabled = !(batch.status === "closed" || batch.status === "exported");
    $("batch-results").disabled = !editable;
  }

  async function renderRecon(batchId) {
    const box = $("batch-recon");
    try {
      const recon = await ctx.call(`/v1/settlement/batches/${encodeURIComponent(batchId)}/reconciliation`);
      box.replaceChildren(reconTable(recon.figures, recon.balanced), differencesTable(recon.differences));
    } catch (error) {
      ctx.fail(error);
    }
  }

  function reconTable(figures, balanced) {
    const rows = Object.entries(figures).map(([source, f]) =>
      f ? [t(`recon.source.${source}`), f.count, f.net, f.paid, f.returned] : [t(`recon.source.${source}`), null, null, null, null],
    );
    const wrap = document.createElement("div");
    const verdict = document.createElement("p");
    verdict.className = balanced ? "ok" : "bad";
    verdict.textContent = balanced ? t("recon.balanced") : t("recon.unbalanced");
    wrap.append(
      verdict,
      dataTable({
        caption: t("recon.figures"),
        columns: [
          { label: t("recon.source") },
          { label: t("col.count"), numeric: true },
          { label: t("col.net"), numeric: true },
          { label: t("batches.paid"), numeric: true },
          { label: t("batches.returned"), numeric: true },
        ],
        rows,
      }),
    );
    return wrap;
  }

  function differencesTable(differences) {
    if (!differences.length) return document.createTextNode("");
    return dataTable({
      caption: t("recon.differences"),
      columns: [
        { label: t("recon.check") },
        { label: t("recon.expected"), numeric: true },
        { label: t("recon.found"), numeric: true },
        { label: t("col.payout") },
      ],
      rows: differences.map((d) => [d.check, d.expected, d.found, d.payout_id]),
    });
  }

  async function showBatch(batchId) {
    try {
      renderBatch(await ctx.call(`/v1/settlement/batches/${encodeURIComponent(batchId)}`));
      await renderRecon(batchId);
    } catch (error) {
      ctx.fail(error);
    }
  }

  $("batch-close-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const day = $("batch-date").value;
    await ctx.busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const batch = await ctx.call("/v1/settlement/batches", { method: "POST", body: { business_date: day } });
        ctx.say(t("batches.closed", { date: batch.business_date, count: batch.totals.count, net: ctx.yen(batch.totals.net) }));
        renderBatch(batch);
        await renderRecon(batch.id);
        await loadBatches();
      } catch (error) {
        ctx.fail(error);
      }
    });
  });

  $("batch-download").addEventListener("click", async (event) => {
    if (!openBatch) return;
    const id = openBatch.id;
    await ctx.busy(event.currentTarget, async () => {
      try {
        const name = await downloadFile(`/v1/settlement/batches/${encodeURIComponent(id)}/zengin`, {
          token: ctx.token(),
          fallbackName: `zengin_${id}.txt`,
        });
        ctx.say(t("batches.downloaded", { name }));
        renderBatch(await ctx.call(`/v1/settlement/batches/${encodeURIComponent(id)}`));
        await loadBatches();
      } catch (error) {
        ctx.fail(error);
      }
    });
  });

  $("batch-results-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!openBatch) return;
    const id = openBatch.id;
    const returned = [...event.currentTarget.querySelectorAll("input[name=returned]:checked")].map((b) => b.value);
    await ctx.busy($("batch-results"), async () => {
      try {
        const batch = await ctx.call(`/v1/settlement/batches/${encodeURIComponent(id)}/results`, {
          method: "POST",
          body: { returned },
        });
        renderBatch(batch);
        await renderRecon(id);
        ctx.say(t("batches.confirmed", { returned: returned.length }));
        await loadBatches();
      } catch (error) {
        ctx.fail(error);
      }
    });
  });

  // --- period reconciliation ------------------------------------------------------------
  $("recon-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const period = await ctx.call("/v1/settlement/reconciliation", {
        query: { from: $("recon-from").value, to: $("recon-to").value },
      });
      const box = $("recon-result");
      const perBatch = dataTable({
        caption: t("recon.batches"),
        columns: [
          { label: t("col.business_date") },
          { label: t("col.status") },
          { label: t("col.net"), numeric: true },
          { label: t("recon.verdict") },
        ],
        rows: period.batches.map((b) => [
          b.business_date,
          statusWord(b.status),
          b.figures.batch ? ctx.yen(b.figures.batch.net) : null,
          b.balanced ? t("recon.balanced") : t("recon.unbalanced"),
        ]),
      });
      const verdict = document.createElement("p");
      verdict.className = period.balanced ? "ok" : "bad";
      verdict.textContent = period.balanced ? t("recon.balanced") : t("recon.unbalanced");
      box.replaceChildren(verdict, perBatch, differencesTable(period.differences));
    } catch (error) {
      ctx.fail(error);
    }
  });

  // --- fee-sharing statement -------------------------------------------------------------
  $("fees-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const s = await ctx.call("/v1/reports/fees", { query: { month: $("fees-month").value } });
      const kinds = dataTable({
        caption: t("fees.by_kind", { total: ctx.yen(s.total) }),
        columns: [{ label: t("fees.kind") }, { label: t("col.amount"), numeric: true }],
        rows: ["payment", "cashout", "btob", "other"].map((k) => [t(`fees.kind.${k}`), ctx.yen(s.by_kind[k])]),
      });
      const merchants = dataTable({
        caption: t("fees.merchants"),
        columns: [
          { label: t("col.merchant") },
          { label: t("fees.kind.payment"), numeric: true },
          { label: t("fees.kind.cashout"), numeric: true },
          { label: t("fees.kind.btob"), numeric: true },
          { label: t("fees.total"), numeric: true },
        ],
        rows: s.merchants.map((m) => [
          m.name || m.merchant_id || "—",
          ctx.yen(m.fees.payment),
          ctx.yen(m.fees.cashout),
          ctx.yen(m.fees.btob),
          ctx.yen(m.total),
        ]),
      });
      const shares = dataTable({
        caption: t("fees.shares"),
        columns: [
          { label: t("fees.party") },
          { label: t("fees.share"), numeric: true },
          { label: t("col.amount"), numeric: true },
        ],
        rows: s.shares.map((p) => [p.name || p.party, `${(p.share_bp / 100).toFixed(2)}%`, ctx.yen(p.amount)]),
      });
      $("fees-result").replaceChildren(kinds, shares, merchants);
    } catch (error) {
      ctx.fail(error);
    }
  });

  // --- unused-balance report ---------------------------------------------------------------
  $("unused-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const r = await ctx.call("/v1/reports/unused_balance", {
        query: { base_date: $("unused-date").value, any_date: $("unused-any").checked ? "true" : "" },
      });
      const dl = document.createElement("dl");
      dl.className = "figures";
      figureList(dl, [
        [t("unused.base_date"), `${r.base_date}${r.statutory ? "" : ` (${t("unused.not_statutory")})`}`],
        [t("unused.residents_money"), ctx.yen(r.residents_money)],
        [t("unused.residents_premium"), ctx.yen(r.residents_premium)],
        [t("unused.merchants"), ctx.yen(r.merchants)],
        [t("unused.total"), ctx.yen(r.unused_balance)],
        [t("unused.points"), ctx.yen(r.points)],
        [t("unused.threshold"), `${ctx.yen(r.threshold)} — ${r.exceeds_threshold ? t("unused.exceeds") : t("unused.below")}`],
        [t("unused.deposit"), ctx.yen(r.security_deposit)],
        [t("unused.deadline"), r.filing_deadline],
      ]);
      $("unused-result").replaceChildren(dl);
    } catch (error) {
      ctx.fail(error);
    }
  });

  ctx.onLang((view) => {
    if (view === "batches") {
      loadBatches();
      if (openBatch) renderBatch(openBatch);
    }
  });

  return {
    batches: () => {
      if (!$("batch-date").value) $("batch-date").value = ctx.addDays(ctx.today(), -1);
      loadBatches();
    },
    recon: () => {
      if (!$("recon-from").value) $("recon-from").value = ctx.addDays(ctx.today(), -30);
      if (!$("recon-to").value) $("recon-to").value = ctx.today();
    },
    fees: () => {
      if (!$("fees-month").value) $("fees-month").value = ctx.today().slice(0, 7);
    },
    unused: () => {
      if (!$("unused-date").value) {
        const today = ctx.today();
        const year = Number(today.slice(0, 4));
        const md = today.slice(5);
        // The latest statutory base date already past: 3/31 or 9/30.
        $("unused-date").value =
          md > "09-30" ? `${year}-09-30` : md > "03-31" ? `${year}-03-31` : `${year - 1}-09-30`;
      }
    },
  };
}
