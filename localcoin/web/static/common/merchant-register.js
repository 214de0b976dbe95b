// The till: an amount, then either a dynamic QR the customer scans (a payment
// intent, polled until it is paid) or the customer's own QR scanned here (a
// USB scanner types it into a field and presses Enter; or the camera, decoded
// by the vendored jsQR) and charged at once.

import { newIdempotencyKey } from "./api.js";
import { $ } from "./merchant-elements.js";
import { t, yen } from "./merchant-language.js";
import { announce, fail, guarded, guardedBy } from "./merchant-notices.js";
import { showReceipt } from "./merchant-receipt.js";
import { get, imageUrl, post } from "./merchant-session.js";

const POLL_MS = 1500;
let intent = null;
let pollTimer = null;
let imageObjectUrl = null;
let cameraStream = null;
let paidChargeId = null;
let scannedChargeId = null;

function amount() {
  const value = Number($("amount").value);
  if (!Number.isInteger(value) || value <= 0) {
    $("amount").focus();
    throw Object.assign(new Error(t("amount.needed")), { code: "amount_required" });
  }
  return value;
}

function stopPolling() {
  if (pollTimer !== null) clearTimeout(pollTimer);
  pollTimer = null;
}

function resetIntent() {
  stopPolling();
  intent = null;
  $("intent").hidden = true;
  $("paid").hidden = true;
  if (imageObjectUrl) URL.revokeObjectURL(imageObjectUrl);
  imageObjectUrl = null;
}

async function showQr() {
  const value = amount();
  resetIntent();
  intent = await post("/v1/payment_intents", {
    amount: value,
    reference: "till-" + newIdempotencyKey().slice(0, 12),
    capture_method: "automatic",
  });
  imageObjectUrl = await imageUrl("/v1/payment_intents/" + intent.id + "/qr.png");
  $("intent-qr").src = imageObjectUrl;
  $("intent-qr").alt = "QR " + yen(value);
  $("intent-amount").textContent = yen(value);
  $("intent-payload").textContent = intent.qr_payload;
  waiting();
  $("intent").hidden = false;
  poll(intent.id);
}

// Waiting, with the time left before the QR expires (the server decides expiry).
function waiting() {
  const left = Math.max(0, Math.floor((Date.parse(intent.expires_at) - Date.now()) / 1000));
  const clock = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
  $("intent-status").textContent = t("waiting") + " (" + t("left") + " " + clock + ")";
}

function poll(id) {
  pollTimer = setTimeout(async () => {
    if (!intent || intent.id !== id) return;
    waiting();
    try {
      const now = await get("/v1/payment_intents/" + id);
      if (!intent || intent.id !== id) return;
      if (now.status === "succeeded" || now.status === "requires_capture") return paid(now);
      if (now.status === "expired" || now.status === "canceled") {
        $("intent-status").textContent = t(now.status);
        stopPolling();
        return;
      }
    } catch (error) {
      fail(error);
    }
    poll(id);
  }, POLL_MS);
}

function paid(now) {
  stopPolling();
  $("intent").hidden = true;
  $("paid-amount").textContent = yen(now.amount);
  paidChargeId = now.charge_id || null;
  $("paid-receipt").hidden = !paidChargeId;
  $("paid").hidden = false;
  announce(t("register.paid") + " " + yen(now.amount));
  document.dispatchEvent(new CustomEvent("merchant:payment"));
}

async function cancelIntent() {
  if (!intent) return;
  const id = intent.id;
  resetIntent();
  await post("/v1/payment_intents/" + id + "/cancel", {});
  announce(t("canceled"));
}

async function charge(token) {
  const value = amount();
  // Cleared first, so the scanner's next code never lands after a refused one.
  $("scan-input").value = "";
  $("scan-result").textContent = "";
  $("scan-receipt").hidden = true;
  const reference = $("reference").value.trim();
  const body = { payment_token: token, amount: value };
  if (reference) body.reference = reference;
  const created = await post("/v1/charges", body);
  $("scan-input").focus();
  $("scan-result").textContent = t("charged") + " " + yen(created.amount);
  scannedChargeId = created.id;
  $("scan-receipt").hidden = false;
  announce(t("charged") + " " + yen(created.amount));
  document.dispatchEvent(new CustomEvent("merchant:payment"));
}

function stopCamera() {
  if (cameraStream) for (const track of cameraStream.getTracks()) track.stop();
  cameraStream = null;
  $("camera-view").hidden = true;
}

async function startCamera() {
  if (!navigator.mediaDevices || !window.jsQR) {
    $("scan-result").textContent = t("camera.none");
    return;
  }
  cameraStream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  const video = $("camera-view");
  video.srcObject = cameraStream;
  video.hidden = false;
  await video.play();
  const canvas = $("camera-canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const frame = () => {
    if (!cameraStream) return;
    if (video.videoWidth > 0) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      const found = window.jsQR(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
      if (found && found.data) {
        stopCamera();
        $("scan-input").value = found.data;
        guarded(() => charge(found.data));
        return;
      }
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

export function install() {
  $("show-qr").addEventListener("click", () => guardedBy($("show-qr"), showQr));
  $("intent-cancel").addEventListener("click", () => guarded(cancelIntent));
  $("paid-next").addEventListener("click", () => {
    resetIntent();
    $("amount").value = "";
    $("amount").focus();
  });
  $("scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("scan-input").value.trim();
    if (token) guardedBy($("scan-form").querySelector("[type=submit]"), () => charge(token));
  });
  $("paid-receipt").addEventListener("click", () => guarded(() => showReceipt(paidChargeId)));
  $("scan-receipt").addEventListener("click", () => guarded(() => showReceipt(scannedChargeId)));
  $("camera").addEventListener("click", () => guarded(() => (cameraStream ? stopCamera() : startCamera())));
}

export function leave() {
  resetIntent();
  stopCamera();
}
