// Keys for terminals (one per till, tied to a store) and for integrations
// (booking or counter systems). A new or rotated key is shown once, here, and
// never again; the lists show only names, prefixes and status.

import { $, el, fill, row } from "./merchant-elements.js";
import { statusText, t } from "./merchant-language.js";
import { announce, guarded } from "./merchant-notices.js";
import { get, post } from "./merchant-session.js";

function reveal(secret) {
  $("secret-value").textContent = secret;
  $("secret-box").hidden = false;
  $("secret-box").scrollIntoView({ block: "nearest" });
}

function action(label, name, run) {
  return el("button", { type: "button", class: "ghost", text: label, "aria-label": label + " " + name,
    onclick: () => guarded(run) });
}

export async function refresh() {
  const [stores, terminals, keys, me] = await Promise.all([
    get("/v1/merchant/stores?limit=100"),
    get("/v1/merchant/terminals?limit=100"),
    get("/v1/merchant/api_keys?limit=100"),
    get("/v1/merchant"),
  ]);
  $("till-refund-days").value = me.till_limits.refund_days;
  $("till-refund-max").value = me.till_limits.refund_max;
  $("store-list").replaceChildren(...stores.data.map((s) => el("li", { text: s.name })));
  $("terminal-store").replaceChildren(...stores.data.map((s) => el("option", { value: s.id, text: s.name })));
  fill($("terminal-rows"), terminals.data.map((term) => {
    const active = term.disabled_at === null;
    return row(term.name, statusText(active ? "active" : "disabled"), active
      ? el("span", { class: "row" },
        action(t("do.rotate"), term.name, async () => {
          reveal((await post("/v1/merchant/terminals/" + term.id + "/rotate_key", {})).api_key);
          await refresh();
        }),
        action(t("do.disable"), term.name, async () => {
          await post("/v1/merchant/terminals/" + term.id + "/disable", {});
          await refresh();
        }))
      : "");
  }), 3, t("empty"));
  fill($("apikey-rows"), keys.data.filter((k) => k.terminal_id === null).map((k) => {
    const active = k.revoked_at === null;
    return row(k.label, k.prefix + "…", statusText(active ? "active" : "revoked"), active
      ? action(t("do.revoke"), k.label, async () => {
        await post("/v1/merchant/api_keys/" + k.id + "/revoke", {});
        await refresh();
      })
      : "");
  }), 4, t("empty"));
}

export function install() {
  $("store-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      await post("/v1/merchant/stores", { name: $("store-name").value });
      $("store-name").value = "";
      await refresh();
    });
  });
  $("terminal-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      const created = await post("/v1/merchant/terminals", { store_id: $("terminal-store").value, name: $("terminal-name").value });
      $("terminal-name").value = "";
      reveal(created.api_key);
      await refresh();
    });
  });
  $("till-limits-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      await post("/v1/merchant/till_limits", {
        refund_days: Number($("till-refund-days").value),
        refund_max: Number($("till-refund-max").value),
      });
      announce(t("keys.limitssaved"));
      await refresh();
    });
  });
  $("apikey-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      const created = await post("/v1/merchant/api_keys", { label: $("apikey-label").value });
      $("apikey-label").value = "";
      reveal(created.api_key);
      await refresh();
    });
  });
}

export function forget() {
  $("secret-box").hidden = true;
  $("secret-value").textContent = "";
}
