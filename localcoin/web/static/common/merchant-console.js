// The merchant console: log in with the merchant's API key (kept in this tab's
// sessionStorage only), then one panel at a time. The sales poller runs while
// logged in so payments arrive live whatever panel is open; the other panels
// load when opened.

import { $ } from "./merchant-elements.js";
import * as invoices from "./merchant-invoice.js";
import * as keys from "./merchant-keys.js";
import { i18n } from "./merchant-language.js";
import { clearError, fail, guarded } from "./merchant-notices.js";
import * as payouts from "./merchant-payouts.js";
import * as receipt from "./merchant-receipt.js";
import * as register from "./merchant-register.js";
import * as sales from "./merchant-sales.js";
import { get, merchantKey } from "./merchant-session.js";
import * as sticker from "./merchant-sticker.js";
import * as webhooks from "./merchant-webhooks.js";

let shop = null;
let current = "register";

const LOADERS = {
  register: () => payouts.balance(),
  sales: () => sales.refresh(),
  payouts: () => payouts.refresh(),
  sticker: () => sticker.refresh(shop),
  invoices: () => invoices.refresh(),
  keys: () => keys.refresh(),
  webhooks: () => webhooks.refresh(),
};

function open(tab) {
  current = tab;
  for (const panel of document.querySelectorAll("[data-panel]")) panel.hidden = panel.id !== tab;
  for (const button of document.querySelectorAll("#tabs button")) {
    if (button.dataset.tab === tab) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  if (tab !== "register") register.leave();
  guarded(LOADERS[tab]);
}

// A till's terminal key may take payments and read sales but not manage the
// shop: the console then offers the till and today's sales only.
async function enter() {
  let till = false;
  try {
    shop = await get("/v1/merchant");
  } catch (error) {
    if (error.code !== "terminal_key_not_allowed") throw error;
    await get("/v1/charges?limit=1");
    shop = { name: "" };
    till = true;
  }
  for (const button of document.querySelectorAll("[data-owner]")) button.hidden = till;
  $("shop-name").textContent = shop.name;
  $("login").hidden = true;
  $("tabs").hidden = false;
  $("logout").hidden = false;
  open("register");
  sales.start();
  $("amount").focus();
}

function leave() {
  merchantKey.clear();
  shop = null;
  sales.stop();
  register.leave();
  sticker.forget();
  invoices.forget();
  keys.forget();
  webhooks.forget();
  for (const panel of document.querySelectorAll("[data-panel]")) panel.hidden = true;
  $("tabs").hidden = true;
  $("logout").hidden = true;
  $("shop-name").textContent = "";
  $("login").hidden = false;
  $("login-key").focus();
}

// The switch offers the other language, named in that language.
function paintLang() {
  const other = i18n.lang === "en" ? "ja" : "en";
  $("lang").textContent = other === "en" ? "English" : "日本語";
  $("lang").lang = other;
}

function boot() {
  i18n.apply(document);
  paintLang();
  register.install();
  receipt.install();
  sales.install();
  payouts.install();
  sticker.install();
  invoices.install();
  keys.install();
  webhooks.install();
  $("lang").addEventListener("click", () => i18n.setLang(i18n.lang === "en" ? "ja" : "en"));
  // Rows built by scripts are rebuilt in the new language.
  i18n.onChange(() => {
    paintLang();
    sales.rerender();
    if (shop !== null) guarded(LOADERS[current]);
  });
  // The balance on the till follows the payments as they arrive.
  document.addEventListener("merchant:sales-changed", () => {
    if (shop !== null) payouts.balance();
  });
  $("logout").addEventListener("click", leave);
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => open(button.dataset.tab));
  }
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError();
    merchantKey.set($("login-key").value.trim());
    $("login-key").value = "";
    try {
      await enter();
    } catch (error) {
      merchantKey.clear();
      fail(error);
    }
  });
  if (merchantKey.get()) enter().catch((error) => { fail(error); leave(); });
}

boot();
