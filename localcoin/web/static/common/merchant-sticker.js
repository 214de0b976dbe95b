// The static QR sticker: the shop's EMVCo payload as a PNG from the API, shown
// on a page whose print stylesheet leaves only the sticker; "PDF" is the
// browser's own print-to-PDF, and the PNG can be saved as it is.

import { $ } from "./merchant-elements.js";
import { imageUrl } from "./merchant-session.js";

let url = null;

export async function refresh(shopName) {
  if (url === null) url = await imageUrl("/v1/merchant/qr.png");
  $("sticker-qr").src = url;
  $("sticker-png").href = url;
  $("sticker-name").textContent = shopName;
}

export function forget() {
  if (url !== null) URL.revokeObjectURL(url);
  url = null;
}

export function install() {
  $("sticker-print").addEventListener("click", () => window.print());
}
