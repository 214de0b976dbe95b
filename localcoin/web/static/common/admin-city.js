// The city's screens: points grants from a CSV, premium campaigns and the KPI
// dashboard with its open-data export (ES module).
//
// Points: the CSV is read here (admin-csv.js); malformed and repeated rows are
// shown at once and never sent. The rest goes in grants of at most 1,000
// wallets, each with its own Idempotency-Key kept for the upload, so sending
// the same file again after a network failure grants each chunk once. A
// grant is all or nothing; when the API names an unknown wallet, that row is
// reported and its chunk is sent again without it (under a new key, since the
// body changed).

import { newIdempotencyKey } from "/static/common/api.js";
import { barChart, lineChart } from "/static/common/admin-charts.js";
import { chunks, parseWalletCsv } from "/static/common/admin-csv.js";
import { downloadFile } from "/static/common/admin-download.js";
import { dataTable, figureList } from "/static/common/admin-tables.js";

const $ = (id) => document.getElementById(id);
const CHUNK = 1000;
const RETRIES_PER_CHUNK = 50;

// An <input type=datetime-local> value read as Tokyo time, sent as ISO 8601 with +09:00.
const tokyoInstant = (local) => (local.length === 16 ? `${local}:00+09:00` : `${local}+09:00`);

export function setUpCity(ctx) {
  const { t } = ctx;
  // A category the city made up has no words here: show its code.
  const category = (code) => (t(`category.${code}`) === `category.${code}` ? code : t(`category.${code}`));
  let lastKpi = null;
  let upload = null; // {fileKey, keys: Map(chunkText -> idempotency key)}

  // --- points grants ---------------------------------------------------------------
  function showRowErrors(rows) {
    const table = $("points-errors");
    const tbody = table.querySelector("tbody");
    tbody.replaceChildren();
    for (const row of rows.sort((a, b) => a.line - b.line)) {
      const tr = document.createElement("tr");
      for (const [i, text] of [String(row.line), row.id, row.reason].entries()) {
        const td = document.createElement("td");
        td.textContent = text;
        if (i === 0) td.className = "num";
        tr.append(td);
      }
      tbody.append(tr);
    }
    table.hidden = rows.length === 0;
  }

  function keyFor(body) {
    const text = JSON.stringify(body);
    if (!upload.keys.has(text)) upload.keys.set(text, newIdempotencyKey());
    return upload.keys.get(text);
  }

  async function grantChunk(rows, base, rowErrors) {
    let pending = rows;
    for (let attempt = 0; attempt < RETRIES_PER_CHUNK && pending.length; attempt += 1) {
      const body = { ...base, wallet_ids: pending.map((r) => r.id) };
      try {
        return await ctx.call("/v1/points/grants", { method: "POST", body, idempotencyKey: keyFor(body) });
      } catch (error) {
        const named = error.code === "wallet_not_found" && /'(wal_[A-Za-z0-9]+)'/.exec(error.detail || "");
        const limited = error.code === "limit_exceeded" && /(wal_[A-Za-z0-9]+)/.exec(error.detail || "");
        const match = named || limited;
        const row = match && pending.find((r) => r.id === match[1]);
        if (!row) throw error;
        rowErrors.push({ ...row, reason: ctx.describe(error) });
        pending = pending.filter((r) => r !== row);
      }
    }
    return null;
  }

  $("points-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const file = $("points-file").files[0];
    const amount = Number($("points-amount").value);
    const reason = $("points-reason").value.trim();
    const expires = $("points-expires").value;
    // Cleared at once, so the figures shown are always those of this submission.
    $("points-result").hidden = true;
    $("points-result").replaceChildren();
    if (!file || !amount || !reason || !expires) {
      ctx.fail({ code: "", message: t("points.incomplete") });
      return;
    }
    await ctx.busy(form.querySelector("button[type=submit]"), async () => {
      const text = await file.text();
      const parsed = parseWalletCsv(text);
      const fileKey = `${file.name}:${file.size}:${file.lastModified}`;
      if (!upload || upload.fileKey !== fileKey) upload = { fileKey, keys: new Map() };
      const rowErrors = parsed.invalid.map((r) => ({
        ...r,
        reason: r.code === "duplicate" ? t("points.duplicate", { line: r.first }) : t("points.bad_id"),
      }));
      // The end of the chosen day in Tokyo.
      const base = { amount, reason, expires_at: `${expires}T23:59:59+09:00` };
      const grants = [];
      try {
        for (const chunk of chunks(parsed.valid, CHUNK)) {
          const grant = await grantChunk(chunk, base, rowErrors);
          if (grant) grants.push(grant);
        }
      } catch (error) {
        ctx.fail(error);
      }
      showRowErrors(rowErrors);
      // A chunk above the coin's threshold waits for another municipality key.
      const waiting = grants.filter((g) => g.status === "pending_approval");
      grants.splice(0, grants.length, ...grants.filter((g) => g.status !== "pending_approval"));
      const wallets = grants.reduce((n, g) => n + g.wallet_count, 0);
      const total = grants.reduce((n, g) => n + g.total, 0);
      const box = $("points-result");
      box.replaceChildren();
      const summary = document.createElement("p");
      summary.textContent = t("points.done", { wallets, total: ctx.yen(total), errors: rowErrors.length });
      box.append(summary);
      for (const grant of grants) {
        const p = document.createElement("p");
        p.textContent = t("points.grant", { id: grant.id, wallets: grant.wallet_count, total: ctx.yen(grant.total) });
        box.append(p);
      }
      for (const pending of waiting) {
        const p = document.createElement("p");
        p.textContent = t("points.pending", { id: pending.approval_id, total: ctx.yen(pending.amount) });
        box.append(p);
      }
      box.hidden = false;
      if (grants.length) ctx.say(summary.textContent);
    });
  });

  // --- premium campaigns -----------------------------------------------------------------
  async function loadCampaigns() {
    const tbody = $("campaign-table").querySelector("tbody");
    try {
      const page = await ctx.call("/v1/premium_campaigns", { query: { limit: 50 } });
      tbody.replaceChildren();
      for (const c of page.data) {
        const tr = document.createElement("tr");
        const cells = [
          c.name,
          `${ctx.i18n.dateTime(c.starts_at)} – ${ctx.i18n.dateTime(c.ends_at)}`,
          `${ctx.yen(c.price)} / ${ctx.yen(c.face_value)}`,
          `${c.sold_units} / ${c.total_units}`,
          String(c.paid_units),
          ctx.yen(c.paid_price),
          ctx.yen(c.paid_premium),
        ];
        cells.forEach((text, i) => {
          const td = document.createElement("td");
          td.textContent = text;
          if (i >= 2) td.className = "num";
          tr.append(td);
        });
        tbody.append(tr);
      }
    } catch (error) {
      ctx.fail(error);
    }
  }

  $("campaign-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const body = {
      name: $("c-name").value.trim(),
      price: Number($("c-price").value),
      face_value: Number($("c-face").value),
      per_resident_limit: Number($("c-limit").value),
      total_units: Number($("c-total").value),
      starts_at: tokyoInstant($("c-starts").value),
      ends_at: tokyoInstant($("c-ends").value),
      premium_expires_at: tokyoInstant($("c-expires").value),
      verified_only: $("c-verified").checked,
    };
    await ctx.busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const created = await ctx.call("/v1/premium_campaigns", { method: "POST", body });
        // Above the approval threshold the campaign waits for a second person.
        ctx.say(created.status === "pending_approval"
          ? t("campaigns.pending", { name: body.name, id: created.approval_id })
          : t("campaigns.done", { name: created.name }));
        form.reset();
        await loadCampaigns();
      } catch (error) {
        ctx.fail(error);
      }
    });
  });

  // --- KPI dashboard -----------------------------------------------------------------------
  function renderKpi(k) {
    lastKpi = k;
    const share = k.btob_share_bp === null ? "—" : `${(k.btob_share_bp / 100).toFixed(1)}%`;
    figureList($("kpi-figures"), [
      [t("kpi.outstanding"), ctx.yen(k.outstanding)],
      [t("kpi.active"), t("kpi.people", { n: ctx.i18n.coin(k.active_residents) })],
      [t("kpi.payments"), `${ctx.yen(k.payments_amount)}（${ctx.i18n.coin(k.payments_count)}${t("kpi.count_unit")}）`],
      [t("kpi.topups"), `${ctx.yen(k.topups_amount)}（${ctx.i18n.coin(k.topups_count)}${t("kpi.count_unit")}）`],
      [t("kpi.btob_share"), share],
      [t("kpi.points"), `${ctx.yen(k.points_granted)} / ${ctx.yen(k.points_expired)}`],
    ]);
    const daily = k.daily.map((d) => ({ label: d.date.slice(5), value: d.outstanding }));
    const last = k.daily.length ? k.daily[k.daily.length - 1] : null;
    const high = k.daily.reduce((m, d) => (m && m.outstanding >= d.outstanding ? m : d), null);
    lineChart($("kpi-outstanding-chart"), {
      points: daily,
      labelledBy: "kpi-outstanding-title",
      format: (v) => ctx.i18n.coin(Math.round(v)),
      description: last
        ? t("kpi.outstanding_desc", {
            first: k.daily[0].date,
            last: last.date,
            value: ctx.yen(last.outstanding),
            high: ctx.yen(high.outstanding),
            high_date: high.date,
          })
        : t("kpi.no_data"),
    });
    $("kpi-outstanding-table").replaceChildren(
      dataTable({
        caption: t("kpi.outstanding_chart"),
        columns: [{ label: t("kpi.date") }, { label: t("kpi.outstanding"), numeric: true }],
        rows: k.daily.map((d) => [d.date, ctx.yen(d.outstanding)]),
      }),
    );
    const categories = k.payments_by_category.map((c) => ({ label: category(c.category), value: c.amount }));
    barChart($("kpi-category-chart"), {
      bars: categories,
      labelledBy: "kpi-category-title",
      format: (v) => ctx.yen(v),
      description: categories.length
        ? categories.map((c) => `${c.label} ${ctx.yen(c.value)}`).join("、")
        : t("kpi.no_data"),
    });
    $("kpi-category-table").replaceChildren(
      dataTable({
        caption: t("kpi.category_chart"),
        columns: [
          { label: t("field.category") },
          { label: t("col.count"), numeric: true },
          { label: t("col.amount"), numeric: true },
        ],
        rows: k.payments_by_category.map((c) => [category(c.category), c.count, ctx.yen(c.amount)]),
      }),
    );
    const flows = [
      { label: t("kpi.flow.payments"), value: k.payments_amount },
      { label: t("kpi.flow.btob"), value: k.btob_amount },
      { label: t("kpi.flow.cashout"), value: k.cashout_amount },
    ];
    barChart($("kpi-flow-chart"), {
      bars: flows,
      labelledBy: "kpi-flow-title",
      format: (v) => ctx.yen(v),
      description: `${flows.map((f) => `${f.label} ${ctx.yen(f.value)}`).join("、")}。${t("kpi.btob_share")} ${share}`,
    });
    $("kpi-flow-table").replaceChildren(
      dataTable({
        caption: t("kpi.flow_chart"),
        columns: [{ label: t("kpi.flow") }, { label: t("col.amount"), numeric: true }],
        rows: [...flows.map((f) => [f.label, ctx.yen(f.value)]), [t("kpi.btob_share"), share]],
      }),
    );
  }

  async function loadKpi() {
    try {
      const k = await ctx.call("/v1/reports/kpi", { query: { from: $("kpi-from").value, to: $("kpi-to").value } });
      renderKpi(k);
      document.getElementById("view-kpi").dataset.loaded = "true";
    } catch (error) {
      ctx.fail(error);
    }
  }

  $("kpi-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadKpi();
  });

  $("kpi-csv").addEventListener("click", async (event) => {
    const from = $("kpi-from").value;
    const to = $("kpi-to").value;
    await ctx.busy(event.currentTarget, async () => {
      try {
        const name = await downloadFile(`/v1/reports/kpi.csv?from=${from}&to=${to}`, {
          token: ctx.token(),
          fallbackName: `kpi_${from}_${to}.csv`,
        });
        ctx.say(t("kpi.downloaded", { name }));
      } catch (error) {
        ctx.fail(error);
      }
    });
  });

  ctx.onLang((view) => {
    if (view === "kpi" && lastKpi) renderKpi(lastKpi);
    if (view === "campaigns") loadCampaigns();
  });

  return {
    points: () => {
      if (!$("points-expires").value) $("points-expires").value = ctx.addDays(ctx.today(), 180);
    },
    campaigns: loadCampaigns,
    kpi: () => {
      if (!$("kpi-from").value) $("kpi-from").value = ctx.addDays(ctx.today(), -29);
      if (!$("kpi-to").value) $("kpi-to").value = ctx.today();
      loadKpi();
    },
  };
}
