// The merchant's key for this tab and the console's calls made with it, over
// the shared api.js: every POST carries an Idempotency-Key (so a double tap or
// a retried request never charges twice) and RFC 9457 problems come back as
// ApiError.

import { api, apiBlobUrl, tokenStore } from "./api.js";

// sessionStorage only: closing the tab logs the till out.
export const merchantKey = tokenStore("merchant.key");

export function get(path) {
  return api(path, { token: merchantKey.get() });
}

// One key per user action: the caller passes the same key again to retry it.
export function post(path, body, idempotencyKey) {
  return api(path, { method: "POST", token: merchantKey.get(), body, idempotencyKey });
}

// Images behind the key (QR codes) cannot be plain <img src>: fetch them and
// hand the element an object URL (the CSP allows blob: images).
export function imageUrl(path) {
  return apiBlobUrl(path, { token: merchantKey.get() });
}

// Every page of a list, newest first, until `keep` says stop (or `max` pages).
export async function pages(path, keep, max) {
  const found = [];
  let after = null;
  for (let n = 0; n < (max || 20); n += 1) {
    const page = await api(path, { token: merchantKey.get(), query: { limit: 100, starting_after: after } });
    for (const item of page.data) {
      if (keep && !keep(item)) return found;
      found.push(item);
    }
    if (!page.has_more || page.data.length === 0) return found;
    after = page.data[page.data.length - 1].id;
  }
  return found;
}

// A download behind the key (a CSV report), as an object URL for a link.
export function fileUrl(path) {
  return apiBlobUrl(path, { token: merchantKey.get() });
}
