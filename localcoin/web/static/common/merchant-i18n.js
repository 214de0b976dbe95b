// Japanese first, English as a switch. Static text carries data-i18n keys;
// text built in scripts asks t(). The choice is kept in localStorage (it is no
// secret, and the shop wants it after a reload).

const CHOICE = "localcoin.merchant.lang";

const EN = {
  skip: "Skip to content", title: "Merchant console", logout: "Log out", menu: "Menu",
  "tab.register": "Register", "tab.sales": "Today's sales", "tab.payouts": "Cash out",
  "tab.sticker": "QR sticker", "tab.keys": "API keys", "tab.webhooks": "Webhooks",
  "login.h": "Log in", "login.key": "Merchant API key",
  "login.hint": "The key is kept only in this tab and is gone when the tab closes.",
  "login.submit": "Log in", balance: "Balance",
  "register.h": "Register", "register.amount": "Amount (yen)",
  "register.dyn.h": "Customer scans", "register.showqr": "Show QR code",
  "register.payload": "QR content", "register.cancel": "Cancel",
  "register.paid": "Paid", "register.next": "Next customer",
  "register.scan.h": "Scan the customer's QR",
  "register.scan.label": "Scanner field (Enter to charge)",
  "register.scan.submit": "Charge", "register.camera": "Scan with camera",
  "register.recent": "Latest payments",
  "sales.h": "Today's sales", "sales.total": "Sales", "sales.count": "Payments",
  "sales.refunded": "Refunded", "sales.net": "Net", "sales.chart": "Sales by hour (Japan time)",
  "sales.list": "Today's payments",
  "col.time": "Time", "col.amount": "Amount", "col.refunded": "Refunded", "col.status": "Status",
  "col.action": "Action", "col.fee": "Fee", "col.net": "Paid out", "col.name": "Name",
  "col.prefix": "Key starts", "col.event": "Event", "col.answer": "Answer",
  "payouts.h": "Cash out to the bank account", "payouts.available": "Available to cash out",
  "payouts.amount": "Amount to cash out (yen)",
  "payouts.hint": "Paid to your registered account, less the fee, at the next settlement.",
  "payouts.submit": "Request cash-out", "payouts.list": "Cash-out requests",
  "sticker.h": "QR sticker (static QR)",
  "sticker.hint": "The QR code to put by the till. Print it, or choose \"Save as PDF\" in the print dialog.",
  "sticker.caption": "Pay here with the local coin", "sticker.print": "Print / PDF",
  "sticker.png": "Save PNG",
  "keys.h": "API keys", "keys.once": "This key is shown only now. Copy it.",
  "keys.stores": "Stores", "keys.storename": "Store name", "keys.addstore": "Add store",
  "keys.terminals": "Terminal keys", "keys.store": "Store", "keys.terminalname": "Terminal name",
  "keys.addterminal": "Create terminal key", "keys.integrations": "Integration keys",
  "keys.label": "Purpose (e.g. booking system)", "keys.addkey": "Create integration key",
  "webhooks.h": "Webhooks", "webhooks.once": "The signing secret is shown only now.",
  "webhooks.url": "Endpoint URL", "webhooks.events": "Events to receive",
  "webhooks.submit": "Add endpoint", "webhooks.list": "Endpoints",
  "webhooks.deliveries": "Delivery log", "webhooks.eventlog": "Events",
  // Built in scripts.
  "do.refund": "Refund", "do.rotate": "New key", "do.disable": "Disable", "do.revoke": "Revoke",
  "do.deliveries": "Delivery log", "refund.amount": "Refund amount", "refund.ok": "Refund", "refund.close": "Close",
  "waiting": "Waiting for payment…", "left": "expires in", "expired": "This QR code has expired",
  "canceled": "Canceled", "charged": "Charged", "new.payment": "New payment",
  "refunded.done": "Refunded", "payout.done": "Cash-out requested",
  "empty": "None yet", "amount.needed": "Enter an amount first",
  "camera.none": "No camera available here", "chart.desc": "Sales per hour",
  "status.succeeded": "Paid", "status.partially_refunded": "Partly refunded",
  "status.refunded": "Refunded", "status.requested": "Requested", "status.pending": "Waiting",
  "status.in_batch": "In a batch", "status.paid": "Transferred", "status.returned": "Returned",
  "status.canceled": "Canceled", "status.enabled": "Active", "status.disabled": "Disabled",
  "status.active": "Active", "status.revoked": "Revoked", "status.delivered": "Delivered",
  "status.failed": "Failed", "status.retrying": "Retrying", "status.pending_delivery": "Waiting",
};

const JA = {
  "do.refund": "返金", "do.rotate": "キーを再発行", "do.disable": "停止", "do.revoke": "無効にする",
  "do.deliveries": "配信履歴", "refund.amount": "返金する金額", "refund.ok": "返金する", "refund.close": "閉じる",
  "waiting": "お支払いを待っています…", "left": "残り", "expired": "このQRコードは期限切れです",
  "canceled": "取り消しました", "charged": "決済しました", "new.payment": "新しい支払い",
  "refunded.done": "返金しました", "payout.done": "換金を申し込みました",
  "empty": "まだありません", "amount.needed": "先に金額を入力してください",
  "camera.none": "この端末ではカメラを使えません", "chart.desc": "時間帯別の売上",
  "status.succeeded": "支払い済み", "status.partially_refunded": "一部返金",
  "status.refunded": "返金済み", "status.requested": "申込み済み", "status.pending": "処理待ち",
  "status.in_batch": "締め処理中", "status.paid": "振込済み", "status.returned": "振込不能",
  "status.canceled": "取消", "status.enabled": "有効", "status.disabled": "停止中",
  "status.active": "有効", "status.revoked": "無効", "status.delivered": "配信済み",
  "status.failed": "失敗", "status.retrying": "再送待ち",
};

const originals = new Map();
let lang = localStorage.getItem(CHOICE) === "en" ? "en" : "ja";

export function language() { return lang; }

export function t(key) {
  if (lang === "en" && key in EN) return EN[key];
  if (key in JA) return JA[key];
  const node = document.querySelector('[data-i18n="' + key + '"]');
  return node ? (originals.get(node) || node.textContent) : key;
}

export function statusText(status) {
  const key = "status." + status;
  return (lang === "en" ? EN[key] : JA[key]) || status;
}

export function yen(amount) {
  return "¥" + Number(amount).toLocaleString("ja-JP");
}

export function apply() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-i18n]")) {
    if (!originals.has(node)) originals.set(node, node.textContent);
    const key = node.dataset.i18n;
    node.textContent = lang === "en" && key in EN ? EN[key] : originals.get(node);
  }
  for (const node of document.querySelectorAll("[data-i18n-label]")) {
    if (!originals.has(node)) originals.set(node, node.getAttribute("aria-label"));
    const key = node.dataset.i18nLabel;
    node.setAttribute("aria-label", lang === "en" && key in EN ? EN[key] : originals.get(node));
  }
  const button = document.getElementById("lang");
  button.textContent = lang === "en" ? "日本語" : "English";
  button.lang = lang === "en" ? "ja" : "en";
}

export function toggle() {
  lang = lang === "en" ? "ja" : "en";
  localStorage.setItem(CHOICE, lang);
  apply();
}
