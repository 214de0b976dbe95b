// The bank and city console at /admin: login, menu, language, and the shared context (ES module).
//
// A clerk logs in with an API key; GET /v1/me says its role and coin:
// issuer → the bank's screens, municipality → the city's, operator → both
// (the API still refuses what the role may not do, and the page says so).
// The key stays in this tab's sessionStorage only. The screens themselves are
// in admin-bank.js and admin-city.js; they get `ctx` (API calls with the key,
// messages, dates in Asia/Tokyo) from here.

import { api, tokenStore } from "/static/common/api.js";
import { createI18n } from "/static/common/i18n.js";
import { setUpAccess } from "/static/common/admin-access.js";
import { setUpRules } from "/static/common/admin-rules.js";
import { setUpWinddown } from "/static/common/admin-winddown.js";
import { setUpNotices } from "/static/common/admin-notices.js";
import { setUpBank } from "/static/common/admin-bank.js";
import { setUpCity } from "/static/common/admin-city.js";
import { MESSAGES } from "/static/common/admin-messages.js";

const i18n = createI18n(MESSAGES, { app: "admin" });
const keyStore = tokenStore("admin.key");
const $ = (id) => document.getElementById(id);

const tokyoDay = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Asia/Tokyo",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});

function addDays(isoDate, days) {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

const langListeners = [];

const ctx = {
  i18n,
  t: (key, vars) => i18n.t(key, vars),
  token: () => keyStore.get(),
  call: (path, opts = {}) => api(path, { ...opts, token: keyStore.get() }),
  yen: (n) => i18n.t("money", { n: i18n.coin(n) }),
  today: () => tokyoDay.format(new Date()),
  addDays,
  onLang: (fn) => langListeners.push(fn),
  say(text) {
    $("alert").hidden = true;
    $("status").textContent = text;
  },
  // An ApiError (or any error) in plain words: the code's message if we have one.
  describe(error) {
    const known = error.code && MESSAGES.ja[`error.${error.code}`];
    const words = known ? i18n.t(`error.${error.code}`) : error.detail || error.message || String(error);
    return error.code ? `${words} (${error.code})` : words;
  },
  fail(error) {
    $("status").textContent = "";
    const alert = $("alert");
    alert.textContent = ctx.describe(error);
    alert.hidden = false;
  },
  // Runs an action with its button disabled, so a double click never sends twice.
  async busy(button, action) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      return await action();
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  },
};

const screens = { ...setUpBank(ctx), ...setUpCity(ctx), ...setUpAccess(ctx), ...setUpRules(ctx), ...setUpWinddown(ctx), ...setUpNotices(ctx) };
let current = "login";
let who = null;

function paintWho() {
  $("coin-name").textContent = who ? `${who.coin_name}（${i18n.t(`role.${who.role}`)}）` : "";
}

function show(view) {
  current = view;
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== `view-${view}`;
  for (const button of document.querySelectorAll("#nav [data-view]")) {
    if (button.dataset.view === view) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  $("alert").hidden = true;
  $("status").textContent = "";
  const heading = document.querySelector(`#view-${view} h2`);
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
  if (screens[view]) screens[view]();
}

// Each menu entry names the roles the API lets do its work (data-roles), so
// the operator sees the bank's and the city's screens that an operator key
// may use, and nobody is offered a screen that can only answer "forbidden".
function enter(me) {
  for (const button of document.querySelectorAll("#nav [data-view]")) {
    button.hidden = !button.dataset.roles.split(" ").includes(me.role);
  }
  for (const group of document.querySelectorAll("#nav .nav-group")) {
    group.hidden = !group.querySelector("[data-view]:not([hidden])");
  }
  $("nav").hidden = false;
  $("logout").hidden = false;
  who = me;
  paintWho();
  const first = document.querySelector("#nav [data-view]:not([hidden])");
  show(me.role === "issuer" ? "batches" : me.role === "municipality" ? "kpi" : first.dataset.view);
}

async function login(key) {
  keyStore.set(key);
  try {
    const me = await ctx.call("/v1/me");
    if (me.role === "merchant") throw { code: "merchant_key", message: i18n.t("error.merchant_key") };
    enter(me);
  } catch (error) {
    keyStore.clear();
    show("login");
    ctx.fail(error);
  }
}

function logout() {
  keyStore.clear();
  who = null;
  paintWho();
  $("nav").hidden = true;
  $("logout").hidden = true;
  show("login");
}

function paintLang() {
  const other = i18n.lang === "ja" ? "en" : "ja";
  const button = $("lang");
  button.textContent = other === "en" ? "English" : "日本語";
  button.lang = other;
  document.title = i18n.t("app.page_title");
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("login-key").value.trim();
  $("login-key").value = "";
  if (key) login(key);
});
$("logout").addEventListener("click", logout);
$("lang").addEventListener("click", () => i18n.setLang(i18n.lang === "ja" ? "en" : "ja"));
for (const button of document.querySelectorAll("#nav [data-view]")) {
  button.addEventListener("click", () => show(button.dataset.view));
}
i18n.onChange(() => {
  paintLang();
  paintWho();
  for (const fn of langListeners) fn(current);
});

i18n.apply(document);
paintLang();
document.body.dataset.ready = "true";
if (keyStore.get()) login(keyStore.get());
