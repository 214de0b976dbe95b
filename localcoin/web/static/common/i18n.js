// Shared translations for the localcoin web apps (ES module). Japanese first,
// English as a switch; the choice (not personal data) is kept in localStorage.
//
//   import { createI18n } from "/static/common/i18n.js";
//   const i18n = createI18n({ ja: {...}, en: {...} }, { app: "resident" });
//   i18n.t("pay.title", { amount: "1,000" });   // "{amount}" placeholders
//   i18n.apply(document);                      // fills [data-i18n], [data-i18n-<attr>]
//   i18n.setLang("en"); i18n.onChange(fn);
//   i18n.coin(1234) -> "1,234"; i18n.dateTime(iso); i18n.date(iso)
//
// Markup: <h1 data-i18n="home.title"></h1>, <input data-i18n-placeholder="..."
// data-i18n-aria-label="...">. Missing keys fall back to Japanese, then the key.

const ATTRS = ["aria-label", "placeholder", "title", "alt", "content"];

export function createI18n(messages, options = {}) {
  const storageKey = `localcoin.lang.${options.app || "app"}`;
  const listeners = [];
  let lang = "ja";
  try {
    const saved = localStorage.getItem(storageKey);
    if (saved && messages[saved]) lang = saved;
  } catch {
    // storage may be disabled; Japanese stays the default
  }

  function t(key, vars) {
    let text = (messages[lang] && messages[lang][key]) ?? (messages.ja && messages.ja[key]) ?? key;
    if (vars) {
      for (const [name, value] of Object.entries(vars)) text = text.split(`{${name}}`).join(String(value));
    }
    return text;
  }

  function apply(root = document) {
    if (root === document || root === document.documentElement) document.documentElement.lang = lang;
    for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const attr of ATTRS) {
      const dataAttr = `data-i18n-${attr}`;
      for (const el of root.querySelectorAll(`[${dataAttr}]`)) el.setAttribute(attr, t(el.getAttribute(dataAttr)));
    }
  }

  function setLang(next) {
    if (!messages[next]) return;
    lang = next;
    try {
      localStorage.setItem(storageKey, next);
    } catch {
      // not kept across visits; still switches now
    }
    apply(document);
    for (const fn of listeners) fn(lang);
  }

  const locale = () => (lang === "ja" ? "ja-JP" : "en-GB");
  const tz = { timeZone: "Asia/Tokyo" };

  return {
    t,
    apply,
    setLang,
    get lang() {
      return lang;
    },
    onChange: (fn) => listeners.push(fn),
    coin: (n) => new Intl.NumberFormat(locale()).format(n),
    date: (iso) => new Intl.DateTimeFormat(locale(), { ...tz, dateStyle: "medium" }).format(new Date(iso)),
    dateTime: (iso) =>
      new Intl.DateTimeFormat(locale(), { ...tz, dateStyle: "medium", timeStyle: "short" }).format(new Date(iso)),
  };
}
