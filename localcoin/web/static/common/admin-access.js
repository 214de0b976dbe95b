// Who may do what: named API keys and the approvals queue (ES module).
//
// Keys: one per clerk or integration, labelled with who holds it; a new key's
// secret is shown once, here, and never again (the API keeps only its hash).
// Approvals: issuance above the coin's threshold waits for a second key; the
// page offers approve/reject, and the API refuses the key that asked.

import { dataTable } from "/static/common/admin-tables.js";

const $ = (id) => document.getElementById(id);

export function setUpAccess(ctx) {
  const { t } = ctx;

  // --- approvals ------------------------------------------------------------------
  function describe(approval) {
    const r = approval.request;
    if (approval.kind === "topup") return `${r.wallet_id} (${r.reference})`;
    if (approval.kind === "premium_campaign") return t("approvals.campaign", { name: r.name, units: r.total_units });
    if (approval.kind === "winddown") {
      const day = (at) => ctx.i18n.dateTime(at);
      return t("approvals.winddown", { issuance: day(r.issuance_ends_at), acceptance: day(r.acceptance_ends_at), claims: day(r.claims_close_at) });
    }
    return r.reason;
  }

  async function decide(button, approval, verb) {
    await ctx.busy(button, async () => {
      try {
        const done = await ctx.call(`/v1/approvals/${approval.id}/${verb}`, { method: "POST" });
        const words = done.status === "failed" ? t("approvals.failed", { why: done.error.detail }) : t(`approvals.${done.status}`);
        ctx.say(`${approval.id}: ${words}`);
        await loadApprovals(false);
      } catch (error) {
        ctx.fail(error);
      }
    });
  }

  async function loadApprovals(clear = true) {
    const box = $("approvals-list");
    try {
      const page = await ctx.call("/v1/approvals", { query: { status: "pending", limit: 50 } });
      box.replaceChildren();
      if (!page.data.length) {
        const p = document.createElement("p");
        p.textContent = t("approvals.none");
        box.append(p);
        return;
      }
      const table = dataTable({
        caption: t("approvals.caption"),
        columns: [
          { label: t("approvals.id") },
          { label: t("approvals.kind") },
          { label: t("approvals.amount"), numeric: true },
          { label: t("approvals.what") },
          { label: t("approvals.asked_by") },
          { label: t("approvals.actions") },
        ],
        rows: page.data.map((a) => [
          a.id,
          t(`approvals.kind_${a.kind}`),
          ctx.yen(a.amount),
          describe(a),
          a.requested_by,
          "",
        ]),
      });
      table.querySelectorAll("tbody tr").forEach((tr, i) => {
        const approval = page.data[i];
        const cell = tr.lastElementChild;
        cell.textContent = "";
        for (const verb of ["approve", "reject"]) {
          const button = document.createElement("button");
          button.type = "button";
          button.className = verb === "approve" ? "" : "secondary";
          button.textContent = t(`approvals.${verb}`);
          button.setAttribute("aria-label", `${t(`approvals.${verb}`)} ${approval.id}`);
          button.addEventListener("click", () => decide(button, approval, verb));
          cell.append(button);
        }
      });
      box.append(table);
    } catch (error) {
      if (clear) box.replaceChildren();
      ctx.fail(error);
    }
  }

  // --- named keys -----------------------------------------------------------------
  async function revoke(button, key) {
    await ctx.busy(button, async () => {
      try {
        await ctx.call(`/v1/api_keys/${key.id}/revoke`, { method: "POST" });
        ctx.say(t("keys.revoked", { label: key.label }));
        await loadKeys();
      } catch (error) {
        ctx.fail(error);
      }
    });
  }

  async function loadKeys() {
    const box = $("keys-list");
    try {
      const page = await ctx.call("/v1/api_keys", { query: { limit: 100 } });
      box.replaceChildren();
      const when = (at) => (at ? ctx.i18n.dateTime(at) : "—");
      const table = dataTable({
        caption: t("keys.caption"),
        columns: [
          { label: t("keys.id") },
          { label: t("keys.label") },
          { label: t("keys.role") },
          { label: t("keys.last_used") },
          { label: t("keys.expires") },
          { label: t("keys.state") },
        ],
        rows: page.data.map((k) => [
          k.id,
          k.label,
          t(`role.${k.role}`),
          when(k.last_used_at),
          when(k.expires_at),
          k.revoked_at ? t("keys.revoked_at", { at: when(k.revoked_at) }) : "",
        ]),
      });
      table.querySelectorAll("tbody tr").forEach((tr, i) => {
        const key = page.data[i];
        if (key.revoked_at) return;
        const button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = t("keys.revoke");
        button.setAttribute("aria-label", `${t("keys.revoke")} ${key.label}`);
        button.addEventListener("click", () => revoke(button, key));
        tr.lastElementChild.replaceChildren(button);
      });
      box.append(table);
    } catch (error) {
      box.replaceChildren();
      ctx.fail(error);
    }
  }

  $("keys-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const label = $("keys-label").value.trim();
    if (!label) return ctx.fail({ code: "key_label_invalid", message: t("error.key_label_invalid") });
    const body = { role: $("keys-role").value, label };
    const expires = $("keys-expires").value;
    // The end of the chosen day in Tokyo.
    if (expires) body.expires_at = `${expires}T23:59:59+09:00`;
    await ctx.busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const made = await ctx.call("/v1/api_keys", { method: "POST", body });
        const box = $("keys-secret");
        box.replaceChildren();
        const p = document.createElement("p");
        p.textContent = t("keys.shown_once", { label: made.label });
        const code = document.createElement("code");
        code.id = "keys-new-secret";
        code.textContent = made.key;
        box.append(p, code);
        box.hidden = false;
        form.reset();
        await loadKeys();
        ctx.say(p.textContent);
      } catch (error) {
        ctx.fail(error);
      }
    });
  });

  return {
    approvals: () => loadApprovals(),
    keys: () => {
      $("keys-secret").hidden = true;
      $("keys-secret").replaceChildren();
      return loadKeys();
    },
  };
}
