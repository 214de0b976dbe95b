// The static QR sticker: the shop's code as a PNG from the API, shown on a page
// whose print stylesheet leaves only the sticker; "PDF" is the browser's own
// print-to-PDF, and the PNG can be saved as it is. A shop with a unified store
// id gets a JPQR code (docs/qr.md): the sticker then says so and prints the id
// in the association's 13-4-6-6 form, as shared JPQR stickers do.

import { $ } from "./merchant-elements.js";
import { imageUrl } from "./merchant-session.js";

let url = null;

function storeIdShown(id) {
  return [id.slice(0, 13), id.slice(13, 17), id.slice(17, 23), id.slice(23)].join("-");
}

export async function refresh(shop) {
  if (url === null) url = await imageUrl("/v1/merchant/qr.png");
  $("sticker-qr").src = url;
  $("sticker-png").href = url;
  $("sticker-name").textContent = shop.name;
  const store = shop.jpqr_store_id;
  $("sticker-jpqr").hidden = !store;
  $("sticker-store-id").textContent = store ? storeIdShown(store) : "";
  const postal = shop.postal_code;
  const mark = postal ? `〒${postal.slice(0, 3)}-${postal.slice(3)}` : "";
  $("sticker-place").textContent = [mark, shop.city || ""].filter(Boolean).join(" ");
}

export function forget() {
  if (url !== null) URL.revokeObjectURL(url);
  url = null;
}

export function install() {
  $("sticker-print").addEventListener("click", () => window.print());
}
