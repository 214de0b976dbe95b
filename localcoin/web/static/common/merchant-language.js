// The console's one translator (the shared i18n.js over merchant-messages.js)
// and the words the screens build from API values: statuses and yen amounts.
// The choice of language is no secret and is kept across visits.

import { createI18n } from "./i18n.js";
import { MESSAGES } from "./merchant-messages.js";

export const i18n = createI18n(MESSAGES, { app: "merchant" });

// The console kept the choice under its own name before it used i18n.js; a
// shop that chose English then keeps it now.
const EARLIER_CHOICE = "localcoin.merchant.lang";
try {
  const earlier = localStorage.getItem(EARLIER_CHOICE);
  if (earlier !== null) {
    localStorage.removeItem(EARLIER_CHOICE);
    i18n.setLang(earlier);
  }
} catch {
  // storage may be disabled; Japanese stays the default
}

export function t(key, vars) {
  return i18n.t(key, vars);
}

// An API status in words; one without words here is shown as the API spells it.
export function statusText(status) {
  const key = "status." + status;
  const words = i18n.t(key);
  return words === key ? status : words;
}

export function yen(amount) {
  return "¥" + Number(amount).toLocaleString("ja-JP");
}
