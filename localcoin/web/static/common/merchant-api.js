// The merchant console's only way to the API: the merchant's key from this
// tab's sessionStorage, an Idempotency-Key on every POST (so a double tap or a
// retried request never charges twice), and RFC 9457 problems as errors.

const KEY = "localcoin.merchant.key";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || String(status));
    this.status = status;
    this.code = problem.code || "http_" + status;
  }
}

// randomUUID needs a secure context; a shop tablet on the LAN may use plain http.
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  set key(value) {
    if (value) sessionStorage.setItem(KEY, value); else sessionStorage.removeItem(KEY);
  },
};

function headers(extra) {
  return Object.assign({ Authorization: "Bearer " + session.key }, extra || {});
}

async function answer(response) {
  if (response.ok) return response.status === 204 ? null : response.json();
  let problem = {};
  try { problem = await response.json(); } catch (_) { /* not JSON: keep the status */ }
  throw new ApiError(response.status, problem);
}

export async function get(path) {
  return answer(await fetch(path, { headers: headers() }));
}

// One key per user action: the caller passes the same key again to retry it.
export async function post(path, body, idempotencyKey) {
  return answer(await fetch(path, {
    method: "POST",
    headers: headers({
      "Content-Type": "application/json",
      "Idempotency-Key": idempotencyKey || newKey(),
    }),
    body: JSON.stringify(body === undefined ? {} : body),
  }));
}

// Images behind the key (QR codes) cannot be plain <img src>: fetch them and
// hand the element an object URL (the CSP allows blob: images).
export async function imageUrl(path) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) await answer(response);
  return URL.createObjectURL(await response.blob());
}

// Every page of a list, newest first, until `keep` says stop (or `max` pages).
export async function pages(path, keep, max) {
  const found = [];
  let after = null;
  for (let n = 0; n < (max || 20); n += 1) {
    const sep = path.includes("?") ? "&" : "?";
    const page = await get(path + sep + "limit=100" + (after ? "&starting_after=" + encodeURIComponent(after) : ""));
    for (const item of page.data) {
      if (keep && !keep(item)) return found;
      found.push(item);
    }
    if (!page.has_more || page.data.length === 0) return found;
    after = page.data[page.data.length - 1].id;
  }
  return found;
}
