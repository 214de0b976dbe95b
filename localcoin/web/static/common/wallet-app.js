// The resident wallet (served at "/"): screens switched by the URL's hash so
// the phone's back button works; every figure comes from the JSON API with the
// resident's own token, kept in this tab only (sessionStorage). What is kept on
// the phone across visits (localStorage) is the language, a random device id,
// and, only if the resident ticks 「この端末に記憶する」, their number and name
// to greet them at the PIN prompt; logging out forgets them (a shared device).
//
// A payment link (/?pay=<merchant QR payload>) opens the same confirm screen
// as a scanned code, after the PIN log-in if needed.

import { api, apiBlobUrl, newIdempotencyKey, tokenStore } from "/static/common/api.js";
import { createI18n } from "/static/common/i18n.js";
import { messages } from "/static/common/wallet-messages.js";
import { readMerchantQr } from "/static/common/wallet-emvco.js";
import { CameraScanner, decodeImageFile } from "/static/common/wallet-scan.js";

// At or above this amount a payment asks for the PIN again (a lost unlocked
// phone should not pay big sums); below it, paying is one tap like cash.
export const PIN_THRESHOLD = 10000;
const QR_REFRESH_BEFORE_MS = 10000;
const TOKEN_LIFETIME_MS = 60000; // POST /v1/wallet/payment_tokens: a minute
const HISTORY_PAGE = 10;

const i18n = createI18n(messages, { app: "resident" });
const t = i18n.t;
const token = tokenStore("resident.token");
const residentId = tokenStore("resident.id");
const pendingPay = tokenStore("resident.pending_pay");
const pendingLine = tokenStore("resident.pending_line_link");
const REMEMBER_KEY = "localcoin.resident.remember";

const $ = (id) => document.getElementById(id);
// greeting: the name and coin typed at sign-up, for this visit when not remembered.
// contactKind: the contact whose code the notices screen is waiting for.
const state = { wallet: null, screen: null, qr: null, pay: null, historyAfter: null, scanner: null, greeting: null, contactKind: null };

// ---- small helpers ----

function remembered() {
  try {
    return JSON.parse(localStorage.getItem(REMEMBER_KEY) || "null");
  } catch {
    return null;
  }
}

function remember(value) {
  try {
    if (value) localStorage.setItem(REMEMBER_KEY, JSON.stringify(value));
    else localStorage.removeItem(REMEMBER_KEY);
  } catch {
    // a phone with storage off just asks for the number each time
  }
}

// A random id for this browser, sent with each log-in: the server ends the tokens
// it gave this device before (a token copied from an old session stops working).
// It names no one, so it is kept whatever the resident chose to remember.
const DEVICE_KEY = "localcoin.device";

function deviceId() {
  try {
    let id = localStorage.getItem(DEVICE_KEY);
    if (!id) {
      id = newIdempotencyKey(); // 32 random hex digits
      localStorage.setItem(DEVICE_KEY, id);
    }
    return id;
  } catch {
    return undefined; // no storage: every log-in is a new device
  }
}

// Residents type on whatever keyboard they have: full-width digits and commas are fine.
function parseAmount(text) {
  const half = String(text || "")
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[,，\s円コイン]/g, "");
  return /^\d{1,12}$/.test(half) && Number(half) > 0 ? Number(half) : null;
}

const pinOk = (pin) => /^\d{4,6}$/.test(pin);

function say(text) {
  $("status").textContent = text || "";
}

function showError(text, field) {
  const box = $("alert");
  box.textContent = text;
  box.hidden = !text;
  for (const el of document.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

function clearMessages() {
  say("");
  showError("");
}

function problemText(err) {
  const key = `err.${err.code}`;
  const known = t(key);
  return known === key ? t("err.generic", { code: err.code }) : known;
}

function fail(err, field) {
  say("");
  if (err && err.code === "unauthenticated") {
    token.clear();
    go("login");
    showError(t("login.again"));
    return;
  }
  showError(err && err.code ? problemText(err) : String(err), field);
}

async function busy(button, work) {
  button.disabled = true;
  say(t("busy"));
  try {
    await work();
  } finally {
    button.disabled = false;
    if ($("status").textContent === t("busy")) say("");
  }
}

const authed = (opts = {}) => ({ ...opts, token: token.get() });

// ---- screens ----

const PUBLIC = new Set(["login", "signup"]);

function go(name) {
  if (location.hash === `#${name}`) render(name);
  else location.hash = name;
}

function render(name) {
  if (!PUBLIC.has(name) && !token.get()) name = "login";
  if (name === "registered" && !$("registered-id").textContent) name = "home";
  leave(state.screen);
  state.screen = name;
  for (const el of document.querySelectorAll(".screen")) el.hidden = el.id !== `screen-${name}`;
  $("logout").hidden = !token.get();
  const heading = document.querySelector(`#screen-${name} h1`);
  if (heading) heading.focus();
  const enter = ENTER[name];
  if (enter) enter();
}

function leave(name) {
  if (name === "myqr") stopQr();
  if (name === "scan" && state.scanner) state.scanner.stop();
}

// ---- log in and sign up ----

function enterLogin() {
  const who = remembered();
  $("login-welcome").hidden = !who;
  $("login-id-field").hidden = Boolean(who);
  $("login-other").hidden = !who;
  $("login-remember").checked = Boolean(who);
  if (who) {
    $("login-welcome").textContent = t("login.welcome", { name: who.name || who.id });
    $("login-id").value = who.id;
  }
  $("login-pin").value = "";
}

async function logIn(id, pin) {
  // The resident number is the login; an older resident id (res_…) still works.
  const who = id.startsWith("res_") ? { resident_id: id } : { login: id };
  const answer = await api("/v1/auth/token", {
    method: "POST",
    body: { ...who, pin, device: deviceId() },
  });
  token.set(answer.access_token);
  residentId.set(id);
}

async function afterLogIn() {
  const lineLink = pendingLine.get();
  if (lineLink) {
    pendingLine.clear();
    await continueLineLink(lineLink);
    return;
  }
  const link = pendingPay.get();
  if (link) {
    pendingPay.clear();
    await openConfirm(link);
  } else go("home");
}

async function submitLogin(event) {
  event.preventDefault();
  clearMessages();
  const id = $("login-id").value.trim();
  const pin = $("login-pin").value.trim();
  if (!id) return showError(t("login.id"), $("login-id"));
  if (!pinOk(pin)) return showError(t("signup.pin_format"), $("login-pin"));
  await busy(event.submitter || $("login-form").querySelector("button"), async () => {
    try {
      await logIn(id, pin);
      const who = remembered();
      if (!$("login-remember").checked) remember(null);
      else if (!who || who.id !== id) remember({ id, name: "" });
      await afterLogIn();
    } catch (err) {
      $("login-pin").value = "";
      fail(err, $("login-pin"));
    }
  });
}

async function enterSignup() {
  const select = $("signup-coin");
  if (select.options.length) return;
  try {
    const wanted = new URLSearchParams(location.search).get("coin");
    // A town's sign-up link names its coin (/?coin=CODE#signup); page on until it is found.
    let list = [];
    let after = null;
    for (let pages = 0; pages < 20; pages += 1) {
      const page = await api("/v1/coins", { query: { limit: 100, starting_after: after } });
      list = list.concat(page.data);
      if (!page.has_more || !page.data.length || (!wanted && pages === 0)) break;
      if (wanted && list.some((c) => c.code === wanted)) break;
      after = page.data[page.data.length - 1].code;
    }
    if (wanted && list.some((c) => c.code === wanted)) list = list.filter((c) => c.code === wanted);
    for (const coin of list) {
      const option = new Option(`${coin.name}（${coin.issuer_name}）`, coin.code);
      option.dataset.name = coin.name;
      select.add(option);
    }
    if (wanted) select.value = wanted;
    if (!list.length) showError(t("signup.no_coins"));
  } catch (err) {
    fail(err);
  }
}

async function submitSignup(event) {
  event.preventDefault();
  clearMessages();
  const coin = $("signup-coin").value;
  const name = $("signup-name").value.trim();
  const pin = $("signup-pin").value.trim();
  if (!name) return showError(t("signup.name_missing"), $("signup-name"));
  if (!pinOk(pin)) return showError(t("signup.pin_format"), $("signup-pin"));
  if (pin !== $("signup-pin2").value.trim()) return showError(t("signup.pin_mismatch"), $("signup-pin2"));
  await busy($("signup-form").querySelector("button"), async () => {
    try {
      const made = await api("/v1/residents", { method: "POST", body: { coin, display_name: name, pin } });
      const option = $("signup-coin").selectedOptions[0];
      const coinName = option ? option.dataset.name : coin;
      state.greeting = { name, coin: coinName };
      remember($("signup-remember").checked ? { id: made.resident_number, name, coin: coinName } : null);
      await logIn(made.resident_number, pin);
      $("registered-id").textContent = made.resident_number;
      go("registered");
    } catch (err) {
      fail(err);
    }
  });
}

// ---- balance ----

async function loadWallet() {
  state.wallet = await api("/v1/wallet", authed());
  return state.wallet;
}

function fillHome() {
  const w = state.wallet;
  if (!w) return;
  const b = w.balance;
  for (const k of ["available", "money", "premium", "points", "held", "total"]) $(`bal-${k}`).textContent = i18n.coin(b[k]);
  $("held-row").hidden = b.held === 0;
  const who = remembered() || state.greeting;
  const name = who && (!who.id || who.id === residentId.get()) ? who.name : "";
  const coinName = (who && who.coin) || w.coin;
  $("home-hello").textContent = name ? t("home.hello", { name, coin: coinName }) : coinName;
  $("home-number").textContent = t("home.number", { number: w.resident_number });
  const list = $("lots-list");
  list.replaceChildren();
  for (const lot of w.lots.filter((l) => l.expires_at)) {
    const li = document.createElement("li");
    li.textContent = t("home.lot", { kind: t(`kind.${lot.kind}`), amount: i18n.coin(lot.amount), date: i18n.date(lot.expires_at) });
    list.append(li);
  }
  $("lots").hidden = list.children.length === 0;
  const notice = w.winddown;
  $("winddown-notice").hidden = !notice;
  if (notice) {
    $("winddown-text").textContent = t("home.winddown", { acceptance: i18n.date(notice.acceptance_ends_at), claims: i18n.date(notice.claims_close_at) });
  }
}

async function enterHome() {
  try {
    await loadWallet();
    fillHome();
  } catch (err) {
    fail(err);
  }
}

// ---- show my QR (customer-presented) ----

async function newQr() {
  // The token lives TOKEN_LIFETIME_MS from its issue; count from before the
  // request, so the phone's own clock (often wrong) never shortens or stretches it.
  const asked = Date.now();
  const issued = await api("/v1/wallet/payment_tokens", authed({ method: "POST" }));
  const url = await apiBlobUrl(`/v1/wallet/payment_tokens/${encodeURIComponent(issued.token)}/qr.png`, authed());
  const img = $("myqr-img");
  if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
  img.src = url;
  const figure = $("myqr-figure");
  figure.dataset.token = issued.token;
  figure.dataset.expiresAt = issued.expires_at;
  if (state.qr) state.qr.until = asked + TOKEN_LIFETIME_MS;
}

function tickQr() {
  const qr = state.qr;
  if (!qr) return;
  const left = qr.until - Date.now();
  $("myqr-countdown").textContent = t("myqr.countdown", { s: Math.max(0, Math.ceil(left / 1000)) });
  if (left <= QR_REFRESH_BEFORE_MS && !qr.renewing) {
    qr.renewing = true;
    newQr()
      .catch((err) => fail(err))
      .finally(() => {
        if (state.qr === qr) qr.renewing = false;
      });
  }
}

// While the code is on screen, watch the balance: a shop's charge shows at once.
async function pollQr() {
  const qr = state.qr;
  if (!qr || qr.polling) return;
  qr.polling = true;
  try {
    const w = await loadWallet();
    if (state.qr !== qr) return;
    $("myqr-available").textContent = i18n.coin(w.balance.available);
    if (w.balance.total < qr.total) {
      const paid = qr.total - w.balance.total;
      showDone(t("done.title"), paid, t("myqr.paid", { amount: i18n.coin(paid) }));
    }
  } catch (err) {
    fail(err);
  } finally {
    qr.polling = false;
  }
}

async function enterMyQr() {
  stopQr();
  const qr = { until: Date.now() + 60000, renewing: true, polling: false, total: 0 };
  state.qr = qr;
  $("myqr-countdown").textContent = "";
  try {
    const w = await loadWallet();
    qr.total = w.balance.total;
    $("myqr-available").textContent = i18n.coin(w.balance.available);
    await newQr();
  } catch (err) {
    fail(err);
  } finally {
    qr.renewing = false;
  }
  if (state.qr !== qr) return;
  qr.timer = setInterval(tickQr, 1000);
  qr.poller = setInterval(pollQr, 2000);
  tickQr();
}

function stopQr() {
  if (!state.qr) return;
  clearInterval(state.qr.timer);
  clearInterval(state.qr.poller);
  state.qr = null;
}

// ---- scan a shop's QR, confirm, pay ----

function enterScan() {
  $("scan-camera-box").hidden = true;
  $("scan-payload").value = "";
  $("scan-file").value = "";
}

async function startCamera() {
  clearMessages();
  state.scanner = new CameraScanner($("scan-video"), (data) => {
    $("scan-camera-box").hidden = true;
    openConfirm(data);
  });
  $("scan-camera-box").hidden = false;
  try {
    await state.scanner.start();
    say(t("scan.looking"));
  } catch {
    $("scan-camera-box").hidden = true;
    showError(t("scan.no_camera"));
  }
}

async function readFile() {
  clearMessages();
  const file = $("scan-file").files[0];
  if (!file) return;
  try {
    const data = await decodeImageFile(file);
    if (data) await openConfirm(data);
    else showError(t("scan.not_found"), $("scan-file"));
  } catch {
    showError(t("scan.not_found"), $("scan-file"));
  }
}

function submitScan(event) {
  event.preventDefault();
  const text = $("scan-payload").value.trim();
  if (!text) return showError(t("scan.empty"), $("scan-payload"));
  openConfirm(text);
}

function needsPin(amount) {
  // The coin's own step-up amount, as the server's preview gave it.
  const limit = state.pay?.stepUp ?? PIN_THRESHOLD;
  return amount !== null && amount >= limit;
}

function updatePinField() {
  const pay = state.pay;
  if (!pay) return;
  const amount = pay.info.amount ?? parseAmount($("confirm-amount").value);
  $("confirm-pin-field").hidden = !needsPin(amount);
}

async function openConfirm(payload) {
  clearMessages();
  if (!readMerchantQr(payload)) {
    go("scan");
    showError(t("err.invalid_qr"));
    return;
  }
  // What the code pays comes from the server's records, never from the code: a
  // re-encoded sticker cannot put another name on this screen.
  let seen;
  try {
    seen = await api("/v1/wallet/payments/preview", authed({ method: "POST", body: { qr_payload: payload.trim() } }));
  } catch (err) {
    go("scan");
    fail(err);
    return;
  }
  const info = { amount: seen.payment_intent_id ? seen.amount : null, reference: seen.reference || "" };
  // One key per confirm screen: a double tap or a retry after a lost answer pays once.
  state.pay = { payload: payload.trim(), info, stepUp: seen.step_up_amount, key: newIdempotencyKey() };
  $("confirm-shop").textContent = seen.merchant_name;
  $("confirm-ref").textContent = info.reference;
  $("confirm-ref-row").hidden = !info.reference;
  $("confirm-fixed-row").hidden = info.amount === null;
  $("confirm-fixed").textContent = info.amount === null ? "" : i18n.coin(info.amount);
  $("confirm-amount-field").hidden = info.amount !== null;
  $("confirm-amount").value = "";
  $("confirm-pin").value = "";
  $("confirm-pin-hint").textContent = t("confirm.pin_hint", { limit: i18n.coin(seen.step_up_amount) });
  updatePinField();
  go("confirm");
}

async function enterConfirm() {
  if (!state.pay) return go("scan");
  try {
    const w = await loadWallet();
    $("confirm-available").textContent = i18n.coin(w.balance.available);
  } catch (err) {
    fail(err);
  }
}

async function submitConfirm(event) {
  event.preventDefault();
  clearMessages();
  const pay = state.pay;
  if (!pay) return;
  const amount = pay.info.amount ?? parseAmount($("confirm-amount").value);
  if (amount === null) return showError(t("confirm.amount_invalid"), $("confirm-amount"));
  const pinField = $("confirm-pin");
  const pin = pinField.value.trim();
  if (needsPin(amount) && !pinOk(pin)) return showError(t("confirm.pin_missing"), pinField);
  await busy($("confirm-submit"), async () => {
    // The server checks the PIN itself (from the coin's step-up amount on).
    const body = { qr_payload: pay.payload };
    if (pay.info.amount === null) body.amount = amount;
    if (needsPin(amount)) body.pin = pin;
    try {
      const paid = await api("/v1/wallet/payments", authed({ method: "POST", body, idempotencyKey: pay.key }));
      state.pay = null;
      showDone(t("done.title"), paid.amount, t("done.detail", { shop: paid.merchant_name }));
    } catch (err) {
      pinField.value = "";
      fail(err, needsPin(amount) ? pinField : undefined);
    }
  });
}

function showDone(title, amount, detail) {
  $("done-title").textContent = title;
  $("done-amount").textContent = i18n.coin(amount);
  $("done-detail").textContent = detail;
  go("done");
}

// ---- history ----

async function loadHistory(more) {
  try {
    const page = await api(
      "/v1/wallet/transactions",
      authed({ query: { limit: HISTORY_PAGE, lang: i18n.lang, starting_after: more ? state.historyAfter : null } }),
    );
    const list = $("history-list");
    if (!more) list.replaceChildren();
    for (const line of page.data) {
      const li = document.createElement("li");
      const what = document.createElement("span");
      what.className = "what";
      what.textContent = line.description;
      const amount = document.createElement("span");
      amount.className = line.amount > 0 ? "in" : "out";
      amount.textContent = `${line.amount > 0 ? "+" : "−"}${i18n.coin(Math.abs(line.amount))} ${t("unit")}`;
      const when = document.createElement("time");
      when.className = "when";
      when.dateTime = line.created_at;
      when.textContent = i18n.dateTime(line.created_at);
      li.append(what, amount, when);
      list.append(li);
    }
    if (page.data.length) state.historyAfter = page.data[page.data.length - 1].id;
    $("history-more").hidden = !page.has_more;
    $("history-empty").hidden = list.children.length > 0;
  } catch (err) {
    fail(err);
  }
}

// ---- send to family ----

async function enterSend() {
  try {
    const w = await loadWallet();
    $("my-wallet-id").textContent = w.wallet_id;
    const basic = w.tier === "basic";
    $("send-basic").hidden = !basic;
    $("send-form").hidden = basic;
  } catch (err) {
    fail(err);
  }
}

async function submitSend(event) {
  event.preventDefault();
  clearMessages();
  const to = $("send-to").value.trim();
  const amount = parseAmount($("send-amount").value);
  if (!to) return showError(t("send.to_missing"), $("send-to"));
  if (amount === null) return showError(t("confirm.amount_invalid"), $("send-amount"));
  await busy($("send-form").querySelector("button"), async () => {
    const pin = $("send-pin").value.trim();
    if (!pinOk(pin)) return showError(t("confirm.pin_missing"), $("send-pin"));
    try {
      // Sending to another person always carries the PIN; the server checks it.
      const sent = await api("/v1/wallet/transfers", authed({ method: "POST", body: { to_wallet_id: to, amount, pin } }));
      $("send-form").reset();
      showDone(t("done.sent_title"), sent.amount, t("done.sent", { to: sent.to_wallet_id }));
    } catch (err) {
      fail(err);
    }
  });
}

// ---- card top-up ----

async function submitTopup(event) {
  event.preventDefault();
  clearMessages();
  const amount = parseAmount($("topup-amount").value);
  if (amount === null) return showError(t("confirm.amount_invalid"), $("topup-amount"));
  await busy($("topup-form").querySelector("button"), async () => {
    try {
      const made = await api("/v1/wallet/card_topups", authed({ method: "POST", body: { amount } }));
      // The client secret would go to Stripe Elements (Stripe.js from Stripe's
      // servers); on a closed network nothing may load from outside, so stop here.
      $("topup-status").textContent = t("topup.created", { id: made.id, amount: i18n.coin(made.amount), status: made.status });
      $("topup-status").hidden = false;
    } catch (err) {
      $("topup-status").hidden = true;
      fail(err);
    }
  });
}

// ---- the coin's wind-down: claiming the refund ----

async function submitRefund(event) {
  event.preventDefault();
  clearMessages();
  const bank_account = {
    bank_code: $("refund-bank").value.trim(),
    branch_code: $("refund-branch").value.trim(),
    account_type: "ordinary",
    account_number: $("refund-number").value.trim(),
    holder_kana: $("refund-holder").value.trim(),
  };
  await busy($("refund-form").querySelector("button"), async () => {
    try {
      const claim = await api("/v1/wallet/winddown_claims", authed({ method: "POST", body: { bank_account } }));
      $("refund-status").textContent = t("refund.done", { amount: i18n.coin(claim.amount) });
      $("refund-status").hidden = false;
      $("refund-form").reset();
    } catch (err) {
      $("refund-status").hidden = true;
      fail(err);
    }
  });
}

// ---- premium campaigns and points ----

function campaignItem(c) {
  const li = document.createElement("li");
  const h = document.createElement("h3");
  h.textContent = c.name;
  const offer = document.createElement("p");
  offer.textContent = t("campaigns.offer", { price: i18n.coin(c.price), face: i18n.coin(c.face_value), premium: i18n.coin(c.premium) });
  const until = document.createElement("p");
  until.textContent = t("campaigns.until", { date: i18n.date(c.ends_at), expires: i18n.date(c.premium_expires_at) });
  const left = document.createElement("p");
  left.textContent = t("campaigns.left", { left: i18n.coin(c.total_units - c.sold_units), limit: c.per_resident_limit });
  const form = document.createElement("form");
  form.noValidate = true;
  const field = document.createElement("div");
  field.className = "field";
  const label = document.createElement("label");
  label.htmlFor = `units-${c.id}`;
  label.textContent = t("campaigns.units");
  const input = document.createElement("input");
  input.id = `units-${c.id}`;
  input.inputMode = "numeric";
  input.value = "1";
  field.append(label, input);
  const button = document.createElement("button");
  button.type = "submit";
  button.className = "primary";
  button.textContent = t("campaigns.reserve");
  form.append(field, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    const units = parseAmount(input.value);
    if (units === null) return showError(t("confirm.amount_invalid"), input);
    await busy(button, async () => {
      try {
        const p = await api(`/v1/premium_campaigns/${encodeURIComponent(c.id)}/purchases`, authed({ method: "POST", body: { units } }));
        say(t("campaigns.reserved", { price: i18n.coin(p.price_total), date: i18n.dateTime(p.pay_by) }));
      } catch (err) {
        fail(err, input);
      }
    });
  });
  li.append(h, offer, until, left, form);
  return li;
}

async function enterCampaigns() {
  try {
    const [w, page] = await Promise.all([loadWallet(), api("/v1/wallet/premium_campaigns", authed())]);
    $("campaigns-points").textContent = t("campaigns.points", { points: i18n.coin(w.balance.points) });
    const list = $("campaigns-list");
    list.replaceChildren(...page.data.map(campaignItem));
    $("campaigns-empty").hidden = page.data.length > 0;
  } catch (err) {
    fail(err);
  }
}

// ---- notices: what to hear of, where, and not at night; contacts and the LINE link ----

async function enterNotices() {
  try {
    const p = await api("/v1/notices/preferences", authed());
    for (const box of document.querySelectorAll('#notices-form input[name="kind"]')) box.checked = p.kinds.includes(box.value);
    for (const box of document.querySelectorAll('#notices-form input[name="channel"]')) box.checked = p.channels.includes(box.value);
    $("notices-quiet").checked = Boolean(p.quiet_hours);
    if (p.quiet_hours) {
      $("notices-quiet-start").value = p.quiet_hours.start;
      $("notices-quiet-end").value = p.quiet_hours.end;
    }
    const email = p.contacts.email;
    $("notices-email-state").textContent = email
      ? t(email.verified ? "notices.state.verified" : "notices.state.waiting", { address: email.address })
      : t("notices.state.none");
    const line = p.contacts.line;
    $("notices-line-state").textContent = t(line ? "notices.state.linked" : "notices.state.not_linked");
    $("notices-line-unlink").hidden = !line;
  } catch (err) {
    fail(err);
  }
}

async function submitNotices(event) {
  event.preventDefault();
  clearMessages();
  const ticked = (name) => [...document.querySelectorAll(`#notices-form input[name="${name}"]:checked`)].map((box) => box.value);
  const body = { kinds: ticked("kind"), channels: ticked("channel"), lang: i18n.lang === "en" ? "en" : "ja" };
  if ($("notices-quiet").checked) body.quiet_hours = { start: $("notices-quiet-start").value, end: $("notices-quiet-end").value };
  await busy($("notices-form").querySelector("button"), async () => {
    try {
      await api("/v1/notices/preferences", authed({ method: "PUT", body }));
      say(t("notices.saved"));
    } catch (err) {
      fail(err);
    }
  });
}

async function submitContact(event) {
  event.preventDefault();
  clearMessages();
  const body = { kind: $("contact-kind").value, address: $("contact-address").value.trim() };
  await busy($("contact-form").querySelector("button"), async () => {
    try {
      const sent = await api("/v1/contacts", authed({ method: "POST", body }));
      state.contactKind = sent.kind;
      $("code-form").hidden = false;
      say(t(sent.sent_via === "line" ? "notices.code_sent_line" : "notices.code_sent_email", { address: sent.address }));
      $("contact-code").focus();
    } catch (err) {
      fail(err, $("contact-address"));
    }
  });
}

async function submitCode(event) {
  event.preventDefault();
  clearMessages();
  const code = $("contact-code").value.trim();
  await busy($("code-form").querySelector("button"), async () => {
    try {
      const done = await api(`/v1/contacts/${encodeURIComponent(state.contactKind || "email")}/verify`, authed({ method: "POST", body: { code } }));
      $("code-form").hidden = true;
      $("code-form").reset();
      await enterNotices();
      say(t("notices.verified", { address: done.address }));
    } catch (err) {
      fail(err, $("contact-code"));
    }
  });
}

async function unlinkLine() {
  clearMessages();
  try {
    await api("/v1/contacts/line", authed({ method: "DELETE" }));
    await enterNotices();
  } catch (err) {
    fail(err);
  }
}

// The LINE message's link (/?line_link=<token>), once logged in: LINE's dialog ties the user to this wallet.
async function continueLineLink(linkToken) {
  try {
    const answer = await api("/v1/notices/line/link", authed({ method: "POST", body: { link_token: linkToken } }));
    location.assign(answer.redirect_url);
  } catch (err) {
    go("notices");
    fail(err);
  }
}

const ENTER = {
  login: enterLogin,
  signup: enterSignup,
  home: enterHome,
  myqr: enterMyQr,
  scan: enterScan,
  confirm: enterConfirm,
  history: () => loadHistory(false),
  send: enterSend,
  campaigns: enterCampaigns,
  notices: enterNotices,
  // A reload of the receipt has nothing to show: back to the balance.
  done: () => {
    if (!$("done-detail").textContent) go("home");
  },
};

// ---- start ----

function setLangButton() {
  const other = i18n.lang === "ja" ? "en" : "ja";
  const button = $("lang-switch");
  button.textContent = t("lang.switch");
  button.lang = other;
}

function boot() {
  i18n.apply(document);
  setLangButton();
  i18n.onChange(() => {
    setLangButton();
    document.title = t("app.name");
    if (state.screen && state.screen !== "myqr" && state.screen !== "done") render(state.screen);
  });
  document.title = t("app.name");

  $("lang-switch").addEventListener("click", () => i18n.setLang(i18n.lang === "ja" ? "en" : "ja"));
  $("logout").addEventListener("click", async () => {
    // The server ends the token too, so a copy of it (a shared device) stops working.
    const ending = token.get();
    token.clear();
    residentId.clear();
    remember(null);
    state.greeting = null;
    go("login");
    if (ending) {
      try {
        await api("/v1/auth/logout", { method: "POST", token: ending });
      } catch (_) {
        // Already expired or ended: nothing is left to end.
      }
    }
  });
  $("login-other").addEventListener("click", () => {
    remember(null);
    $("login-id").value = "";
    enterLogin();
    $("login-id").focus();
  });
  for (const el of document.querySelectorAll("[data-go]")) {
    el.addEventListener("click", () => {
      clearMessages();
      go(el.dataset.go);
    });
  }
  $("login-form").addEventListener("submit", submitLogin);
  $("signup-form").addEventListener("submit", submitSignup);
  $("scan-camera").addEventListener("click", startCamera);
  $("scan-stop").addEventListener("click", () => {
    if (state.scanner) state.scanner.stop();
    $("scan-camera-box").hidden = true;
  });
  $("scan-file").addEventListener("change", readFile);
  $("scan-form").addEventListener("submit", submitScan);
  $("confirm-form").addEventListener("submit", submitConfirm);
  $("confirm-amount").addEventListener("input", updatePinField);
  $("history-more").addEventListener("click", () => loadHistory(true));
  $("send-form").addEventListener("submit", submitSend);
  $("topup-form").addEventListener("submit", submitTopup);
  $("refund-form").addEventListener("submit", submitRefund);
  $("notices-form").addEventListener("submit", submitNotices);
  $("contact-form").addEventListener("submit", submitContact);
  $("code-form").addEventListener("submit", submitCode);
  $("notices-line-unlink").addEventListener("click", unlinkLine);
  $("myqr-refresh").addEventListener("click", () => {
    if (state.qr) state.qr.until = 0;
    tickQr();
  });
  // Show what was understood: "１２０００" becomes "12,000" when the field is left.
  for (const id of ["confirm-amount", "send-amount", "topup-amount"]) {
    $(id).addEventListener("blur", () => {
      const amount = parseAmount($(id).value);
      if (amount !== null) $(id).value = i18n.coin(amount);
    });
  }
  window.addEventListener("hashchange", () => render(location.hash.slice(1) || "home"));

  const params = new URLSearchParams(location.search);
  // LINE's link, like a payment link: out of the address bar, kept for after the log-in.
  const lineLink = params.get("line_link");
  if (lineLink) {
    params.delete("line_link");
    history.replaceState(null, "", `${location.pathname}${params.toString() ? `?${params}` : ""}`);
    if (token.get()) {
      continueLineLink(lineLink);
      return;
    }
    pendingLine.set(lineLink);
    go("login");
    return;
  }
  // A payment link: keep the payload for after the log-in, and take it out of the address bar.
  const link = params.get("pay");
  if (link) {
    params.delete("pay");
    const rest = params.toString();
    history.replaceState(null, "", `${location.pathname}${rest ? `?${rest}` : ""}`);
    if (token.get()) {
      openConfirm(link);
      return;
    }
    pendingPay.set(link);
    go("login");
    return;
  }
  render(location.hash.slice(1) || "home");
}

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {
    // the wallet works without the offline shell
  });
}
boot();
