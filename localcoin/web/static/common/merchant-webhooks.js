// Webhook endpoints: register a URL for chosen events (the signing secret is
// shown once), disable one, and read what was sent: each endpoint's delivery
// log with the receiver's answers, and the merchant's event list.

import { $, el, fill, row, tokyoTime } from "./merchant-elements.js";
import { statusText, t } from "./merchant-language.js";
import { guarded } from "./merchant-notices.js";
import { get, post } from "./merchant-session.js";

const EVENTS = [
  "charge.succeeded", "charge.refunded", "payment_intent.succeeded",
  "payment_intent.canceled", "payment_intent.requires_capture", "payout.paid",
];
const POLL_MS = 3000;
let shown = null;

function button(label, name, run) {
  return el("button", { type: "button", class: "ghost", text: label, "aria-label": label + " " + name,
    onclick: () => guarded(run) });
}

async function deliveries(endpoint) {
  shown = endpoint;
  const page = await get("/v1/webhook_endpoints/" + endpoint.id + "/deliveries?limit=50");
  const events = new Map((await get("/v1/events?limit=100")).data.map((e) => [e.id, e.type]));
  $("delivery-of").textContent = endpoint.url;
  fill($("delivery-rows"), page.data.map((d) => {
    const last = d.attempts.length > 0 ? d.attempts[d.attempts.length - 1] : null;
    const answer = last ? (last.status_code !== null ? "HTTP " + last.status_code : last.error || "") : "";
    return row(tokyoTime(d.created_at), events.get(d.event_id) || d.event_id, statusText(d.status), answer);
  }), 4, t("empty"));
}

export async function refresh() {
  const [endpoints, events] = await Promise.all([
    get("/v1/webhook_endpoints?limit=50"), get("/v1/events?limit=50"),
  ]);
  // An endpoint resting after repeated failures says so, and until when.
  const state = (w) => (w.paused_until
    ? t("webhooks.paused", { until: tokyoTime(w.paused_until), failures: w.consecutive_failures })
    : statusText(w.status));
  fill($("webhook-rows"), endpoints.data.map((w) => row(w.url, state(w), el("span", { class: "row" },
    button(t("do.deliveries"), w.url, () => deliveries(w)),
    w.status === "enabled"
      ? button(t("do.disable"), w.url, async () => {
        await post("/v1/webhook_endpoints/" + w.id + "/disable", {});
        await refresh();
      })
      : null))), 3, t("empty"));
  fill($("event-rows"), events.data.map((e) => row(tokyoTime(new Date(e.created * 1000).toISOString()), e.type, e.id)), 3, t("empty"));
  if (shown !== null) await deliveries(shown);
}

export function install() {
  // The open delivery log follows new attempts while its panel is on screen.
  setInterval(() => {
    if (shown !== null && !$("webhooks").hidden) deliveries(shown).catch(() => {});
  }, POLL_MS);
  $("webhook-events").replaceChildren(...EVENTS.map((name, i) => el("label", { class: "check" },
    el("input", { type: "checkbox", name: "event", value: name, id: "ev-" + i, checked: i < 2 }), " " + name)));
  $("webhook-form").addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      const chosen = Array.from(document.querySelectorAll("#webhook-events input:checked"), (box) => box.value);
      const created = await post("/v1/webhook_endpoints", { url: $("webhook-url").value, events: chosen });
      $("whsecret-value").textContent = created.secret;
      $("whsecret-box").hidden = false;
      $("webhook-url").value = "";
      await refresh();
      await deliveries(created);
    });
  });
}

export function forget() {
  shown = null;
  $("whsecret-box").hidden = true;
  $("whsecret-value").textContent = "";
}
