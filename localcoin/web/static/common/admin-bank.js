// The bank's screens: counter top-ups, identity checks, merchant onboarding,
// settlement batches (close, Zengin file, bank results), reconciliation, the
// fee-sharing statement and the statutory unused-balance report (ES module).
//
// Every POST carries a fresh Idempotency-Key per click and its button is
// disabled while it runs, so neither a double click nor a retry by the
// browser moves money twice.

import { downloadFile } from "/static/common/admin-download.js";
import { clearFieldErrors, showFieldErrors } from "/static/common/admin-fields.js";
import { invoicesTable } from "/static/common/admin-invoices.js";
import { clearKanaPreview, installKanaPreview } from "/static/common/admin-kana-preview.js";
import { dataTable, figureList } from "/static/common/admin-tables.js";

const $ = (id) => document.getElementById(id);
const submitButton = (form) => form.querySelector("button[type=submit]");

function showResult(box, lines) {
  box.replaceChildren();
  for (const line of lines) {
    const p = document.createElement("p");
    p.textContent = line;
    box.append(p);
  }
  box.hidden = false;
}

// Each screen wires its own form; a screen with something to do when it is
// shown (fill in default dates, load its list) returns that, keyed by view.
export function setUpBank(ctx) {
  setUpTopups(ctx);
  setUpVerify(ctx);
  setUpErasure(ctx);
  setUpOnboarding(ctx);
  return {
    batches: setUpBatches(ctx),
    recon: setUpRecon(ctx),
    fees: setUpFees(ctx),
    unused: setUpUnused(ctx),
  };
}

// Runs `submit(form)` when the form is sent, in place of the browser's own submit.
function onSubmit(form, submit) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(event.currentTarget);
  });
}

// --- top-ups at the counter -------------------------------------------------
function setUpTopups(ctx) {
  onSubmit($("topup-form"), (form) => topUp(ctx, form));
}

async function topUp(ctx, form) {
  const { t } = ctx;
  clearFieldErrors(form);
  $("topup-result").hidden = true;
  const body = {
    wallet_id: $("topup-wallet").value.trim(),
    amount: Number($("topup-amount").value),
    channel: $("topup-channel").value,
    reference: $("topup-reference").value.trim(),
  };
  await ctx.busy(submitButton(form), async () => {
    try {
      const topup = await ctx.call("/v1/topups", { method: "POST", body });
      if (topup.status === "pending_approval") {
        // Above the coin's threshold: nothing moved; another clerk approves it.
        const waiting = t("topup.pending", { amount: ctx.yen(topup.amount), id: topup.approval_id });
        showResult($("topup-result"), [waiting]);
        ctx.say(waiting);
        form.reset();
        return;
      }
      const done = t("topup.done", { amount: ctx.yen(topup.amount), wallet: topup.wallet_id });
      showResult($("topup-result"), [done, t("topup.id", { id: topup.id })]);
      ctx.say(done);
      form.reset();
    } catch (error) {
      showFieldErrors(form, error.problem || {}, (e) => ctx.describe(e));
      ctx.fail(error);
    }
  });
}

// --- identity check -----------------------------------------------------------
function setUpVerify(ctx) {
  onSubmit($("verify-form"), (form) => verify(ctx, form));
}

async function verify(ctx, form) {
  const { t } = ctx;
  const id = $("verify-resident").value.trim();
  const body = { method: $("verify-method").value, reference: $("verify-reference").value.trim() };
  await ctx.busy(submitButton(form), async () => {
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
}

// --- erasure of a resident's personal data -----------------------------------------
function setUpErasure(ctx) {
  onSubmit($("erasure-form"), (form) => erase(ctx, form));
}

async function erase(ctx, form) {
  const { t } = ctx;
  const id = $("erasure-resident").value.trim();
  await ctx.busy(submitButton(form), async () => {
    try {
      const erased = await ctx.call(`/v1/residents/${encodeURIComponent(id)}/erasure`, { method: "POST" });
      const line = t("erasure.done", { id: erased.resident_id });
      showResult($("erasure-result"), [line]);
      ctx.say(line);
      form.reset();
    } catch (error) {
      ctx.fail(error);
    }
  });
}

// --- merchant onboarding ----------------------------------------------------------
function setUpOnboarding(ctx) {
  onSubmit($("merchant-form"), (form) => onboard(ctx, form));
  installKanaPreview(ctx);
}

// An optional field left empty is not sent: the server tells "not given" from "".
function optional(id) {
  const value = $(id).value.trim();
  return value === "" ? undefined : value;
}

function merchantBody() {
  return {
    name: $("m-name").value.trim(),
    name_kana: $("m-name-kana").value.trim(),
    category: $("m-category").value,
    postal_code: $("m-postal").value.trim(),
    city: $("m-city").value.trim(),
    city_romaji: optional("m-city-romaji"),
    jpqr_store_id: optional("m-store-id"),
    bank_account: {
      bank_code: $("m-bank").value.trim(),
      branch_code: $("m-branch").value.trim(),
      account_type: $("m-type").value,
      account_number: $("m-number").value.trim(),
      holder_kana: $("m-holder").value.trim(),
    },
  };
}

async function onboard(ctx, form) {
  const { t } = ctx;
  clearFieldErrors(form);
  $("merchant-result").hidden = true;
  const body = merchantBody();
  await ctx.busy(submitButton(form), async () => {
    try {
      const created = await ctx.call("/v1/merchants", { method: "POST", body });
      showResult($("merchant-result"), [
        t("merchant.done", { id: created.merchant_id }),
        t("merchant.wallet", { id: created.wallet_id }),
        t("merchant.key", { key: created.api_key }),
      ]);
      ctx.say(t("merchant.done", { id: created.merchant_id }));
      form.reset();
      clearKanaPreview();
    } catch (error) {
      const shown = showFieldErrors(form, error.problem || {}, (e) => ctx.describe(e));
      if (shown) ctx.fail({ code: "", message: t("merchant.fix_fields", { n: shown }) });
      else ctx.fail(error);
    }
  });
}

// --- settlement batches ---------------------------------------------------------------
// `screen` is the batches screen: the console's ctx and `open`, the batch
// shown in detail (null until one is opened or closed).
function setUpBatches(ctx) {
  const screen = { ctx, open: null };
  onSubmit($("batch-close-form"), (form) => closeBatch(screen, form));
  $("batch-download").addEventListener("click", (event) => downloadZengin(screen, event.currentTarget));
  onSubmit($("batch-results-form"), (form) => confirmResults(screen, form));
  ctx.onLang((view) => {
    if (view !== "batches") return;
    loadBatches(screen);
    if (screen.open) renderBatch(screen, screen.open);
  });
  return () => {
    if (!$("batch-date").value) $("batch-date").value = ctx.addDays(ctx.today(), -1);
    loadBatches(screen);
  };
}

function statusWord(t, status) {
  return t(`batch.status.${status}`);
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

async function loadBatches(screen) {
  const { ctx } = screen;
  const tbody = $("batch-table").querySelector("tbody");
  try {
    const page = await ctx.call("/v1/settlement/batches", { query: { limit: 30 } });
    tbody.replaceChildren();
    if (!page.data.length) {
      const none = cell(ctx.t("batches.none"));
      none.colSpan = 6;
      const tr = document.createElement("tr");
      tr.append(none);
      tbody.append(tr);
    }
    for (const batch of page.data) tbody.append(batchRow(screen, batch));
  } catch (error) {
    ctx.fail(error);
  }
}

function batchRow(screen, batch) {
  const { ctx } = screen;
  const { t } = ctx;
  const tr = document.createElement("tr");
  const texts = [
    batch.business_date,
    batch.transfer_date,
    statusWord(t, batch.status),
    String(batch.totals.count),
    ctx.yen(batch.totals.net),
  ];
  texts.forEach((text, i) => tr.append(cell(text, i >= 3 ? "num" : "")));
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary";
  button.textContent = t("batches.open");
  button.setAttribute("aria-label", t("batches.open_named", { date: batch.business_date }));
  button.addEventListener("click", () => showBatch(screen, batch.id));
  const td = document.createElement("td");
  td.append(button);
  tr.append(td);
  return tr;
}

function renderBatch(screen, batch) {
  const { ctx } = screen;
  screen.open = batch;
  $("batch-detail").hidden = false;
  $("batch-detail-title").textContent = ctx.t("batches.detail", {
    date: batch.business_date,
    status: statusWord(ctx.t, batch.status),
  });
  figureList($("batch-totals"), batchFigures(ctx, batch));
  const editable = batch.status === "exported";
  const tbody = $("batch-payouts").querySelector("tbody");
  tbody.replaceChildren(...(batch.payouts || []).map((payout) => payoutRow(ctx, payout, editable)));
  $("batch-download").disabled = !(batch.status === "closed" || batch.status === "exported");
  $("batch-results").disabled = !editable;
}

function batchFigures(ctx, batch) {
  const { t } = ctx;
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
  return pairs;
}

// A payout's row; its box marks it returned by the bank, once the batch's file is out.
function payoutRow(ctx, payout, editable) {
  const { t } = ctx;
  const box = document.createElement("input");
  box.type = "checkbox";
  box.name = "returned";
  box.value = payout.id;
  box.checked = payout.status === "returned";
  box.disabled = !editable;
  box.setAttribute("aria-label", t("batches.mark_returned", { id: payout.id }));
  const pick = document.createElement("td");
  pick.append(box);
  const tr = document.createElement("tr");
  tr.append(pick);
  const texts = [
    payout.id,
    payout.merchant_id,
    ctx.yen(payout.amount),
    ctx.yen(payout.fee),
    ctx.yen(payout.net),
    t(`payout.status.${payout.status}`),
  ];
  texts.forEach((text, i) => tr.append(cell(text, i >= 2 && i <= 4 ? "num" : "")));
  return tr;
}

async function renderRecon(ctx, batchId) {
  const box = $("batch-recon");
  try {
    const recon = await ctx.call(`/v1/settlement/batches/${encodeURIComponent(batchId)}/reconciliation`);
    box.replaceChildren(
      reconTable(ctx.t, recon.figures, recon.balanced),
      differencesTable(ctx.t, recon.differences),
    );
  } catch (error) {
    ctx.fail(error);
  }
}

function verdict(t, balanced) {
  const p = document.createElement("p");
  p.className = balanced ? "ok" : "bad";
  p.textContent = balanced ? t("recon.balanced") : t("recon.unbalanced");
  return p;
}

function reconTable(t, figures, balanced) {
  const rows = Object.entries(figures).map(([source, f]) => {
    const name = t(`recon.source.${source}`);
    return f ? [name, f.count, f.records, f.net, f.paid, f.returned] : [name, null, null, null, null, null];
  });
  const wrap = document.createElement("div");
  wrap.append(
    verdict(t, balanced),
    dataTable({
      caption: t("recon.figures"),
      columns: [
        { label: t("recon.source") },
        { label: t("col.count"), numeric: true },
        { label: t("recon.records"), numeric: true },
        { label: t("col.net"), numeric: true },
        { label: t("batches.paid"), numeric: true },
        { label: t("batches.returned"), numeric: true },
      ],
      rows,
    }),
  );
  return wrap;
}

function differencesTable(t, differences) {
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

async function showBatch(screen, batchId) {
  try {
    renderBatch(screen, await screen.ctx.call(`/v1/settlement/batches/${encodeURIComponent(batchId)}`));
    await renderRecon(screen.ctx, batchId);
  } catch (error) {
    screen.ctx.fail(error);
  }
}

async function closeBatch(screen, form) {
  const { ctx } = screen;
  const day = $("batch-date").value;
  await ctx.busy(submitButton(form), async () => {
    try {
      const batch = await ctx.call("/v1/settlement/batches", { method: "POST", body: { business_date: day } });
      const { business_date: date, totals } = batch;
      ctx.say(ctx.t("batches.closed", { date, count: totals.count, net: ctx.yen(totals.net) }));
      renderBatch(screen, batch);
      await renderRecon(ctx, batch.id);
      await loadBatches(screen);
    } catch (error) {
      ctx.fail(error);
    }
  });
}

async function downloadZengin(screen, button) {
  if (!screen.open) return;
  const { ctx } = screen;
  const id = screen.open.id;
  await ctx.busy(button, async () => {
    try {
      const name = await downloadFile(`/v1/settlement/batches/${encodeURIComponent(id)}/zengin`, {
        token: ctx.token(),
        fallbackName: `zengin_${id}.txt`,
      });
      ctx.say(ctx.t("batches.downloaded", { name }));
      renderBatch(screen, await ctx.call(`/v1/settlement/batches/${encodeURIComponent(id)}`));
      await loadBatches(screen);
    } catch (error) {
      ctx.fail(error);
    }
  });
}

async function confirmResults(screen, form) {
  if (!screen.open) return;
  const { ctx } = screen;
  const id = screen.open.id;
  const returned = [...form.querySelectorAll("input[name=returned]:checked")].map((b) => b.value);
  await ctx.busy($("batch-results"), async () => {
    try {
      const batch = await ctx.call(`/v1/settlement/batches/${encodeURIComponent(id)}/results`, {
        method: "POST",
        body: { returned },
      });
      renderBatch(screen, batch);
      await renderRecon(ctx, id);
      ctx.say(ctx.t("batches.confirmed", { returned: returned.length }));
      await loadBatches(screen);
    } catch (error) {
      ctx.fail(error);
    }
  });
}

// --- period reconciliation ------------------------------------------------------------
function setUpRecon(ctx) {
  onSubmit($("recon-form"), () => showPeriodRecon(ctx));
  return () => {
    if (!$("recon-from").value) $("recon-from").value = ctx.addDays(ctx.today(), -30);
    if (!$("recon-to").value) $("recon-to").value = ctx.today();
  };
}

async function showPeriodRecon(ctx) {
  const { t } = ctx;
  try {
    const period = await ctx.call("/v1/settlement/reconciliation", {
      query: { from: $("recon-from").value, to: $("recon-to").value },
    });
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
        statusWord(t, b.status),
        b.figures.batch ? ctx.yen(b.figures.batch.net) : null,
        b.balanced ? t("recon.balanced") : t("recon.unbalanced"),
      ]),
    });
    $("recon-result").replaceChildren(verdict(t, period.balanced), perBatch, differencesTable(t, period.differences));
  } catch (error) {
    ctx.fail(error);
  }
}

// --- fee-sharing statement -------------------------------------------------------------
function setUpFees(ctx) {
  onSubmit($("fees-form"), () => showFees(ctx));
  return () => {
    if (!$("fees-month").value) $("fees-month").value = ctx.today().slice(0, 7);
  };
}

async function showFees(ctx) {
  try {
    const month = $("fees-month").value;
    const s = await ctx.call("/v1/reports/fees", { query: { month } });
    const invoices = await invoicesTable(ctx, month);
    $("fees-result").replaceChildren(
      feeKindsTable(ctx, s), feeSharesTable(ctx, s), feeMerchantsTable(ctx, s), invoices);
  } catch (error) {
    ctx.fail(error);
  }
}

function feeKindsTable(ctx, statement) {
  const { t } = ctx;
  return dataTable({
    caption: t("fees.by_kind", { total: ctx.yen(statement.total), tax: ctx.yen(statement.tax) }),
    columns: [{ label: t("fees.kind") }, { label: t("col.amount"), numeric: true }],
    rows: ["payment", "cashout", "btob", "other"].map((k) => [t(`fees.kind.${k}`), ctx.yen(statement.by_kind[k])]),
  });
}

function feeMerchantsTable(ctx, statement) {
  const { t } = ctx;
  return dataTable({
    caption: t("fees.merchants"),
    columns: [
      { label: t("col.merchant") },
      { label: t("fees.kind.payment"), numeric: true },
      { label: t("fees.kind.cashout"), numeric: true },
      { label: t("fees.kind.btob"), numeric: true },
      { label: t("fees.total"), numeric: true },
      { label: t("fees.tax"), numeric: true },
    ],
    rows: statement.merchants.map((m) => [
      m.name || m.merchant_id || "—",
      ctx.yen(m.fees.payment),
      ctx.yen(m.fees.cashout),
      ctx.yen(m.fees.btob),
      ctx.yen(m.total),
      ctx.yen(m.tax),
    ]),
  });
}

function feeSharesTable(ctx, statement) {
  const { t } = ctx;
  return dataTable({
    caption: t("fees.shares"),
    columns: [
      { label: t("fees.party") },
      { label: t("fees.share"), numeric: true },
      { label: t("col.amount"), numeric: true },
    ],
    rows: statement.shares.map((p) => [p.name || p.party, `${(p.share_bp / 100).toFixed(2)}%`, ctx.yen(p.amount)]),
  });
}

// --- unused-balance report ---------------------------------------------------------------
function setUpUnused(ctx) {
  onSubmit($("unused-form"), () => showUnused(ctx));
  return () => {
    if (!$("unused-date").value) $("unused-date").value = lastBaseDate(ctx.today());
  };
}

// The latest statutory base date already past (3/31 or 9/30) on a Tokyo day "YYYY-MM-DD".
function lastBaseDate(today) {
  const year = Number(today.slice(0, 4));
  const md = today.slice(5);
  return md > "09-30" ? `${year}-09-30` : md > "03-31" ? `${year}-03-31` : `${year - 1}-09-30`;
}

async function showUnused(ctx) {
  const { t } = ctx;
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
}
