// Shared fetch helper for every localcoin web app (ES module).
//
// Every call goes to our own origin (the CSP allows nothing else). Errors come
// back as RFC 9457 problem+json; they are thrown as ApiError so a page can show
// `err.code` in plain words. POSTs carry a fresh Idempotency-Key unless the
// caller passes its own (pass the same key to retry the same action safely).
//
//   import { api, apiBlobUrl, ApiError, newIdempotencyKey, tokenStore } from "/static/common/api.js";
//   const wallet = await api("/v1/wallet", { token });
//   const pay = await api("/v1/wallet/payments", { method: "POST", token, body: { qr_payload } });
//
// Interface (stable): api(path, {method, body, token, headers, idempotencyKey, query}),
// apiBlobUrl(path, {token}) -> object URL, ApiError {status, code, title, detail, problem},
// newIdempotencyKey(), tokenStore(name) -> {get, set, clear}.

export class ApiError extends Error {
  constructor(status, problem) {
    const p = problem || {};
    super(p.detail || p.title || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = p.code || (status === 0 ? "network_error" : `http_${status}`);
    this.title = p.title || "";
    this.detail = p.detail || "";
    this.problem = p;
  }
}

// crypto.randomUUID needs a secure context; a closed-network deployment may be
// plain http on an address, so build the key from getRandomValues instead.
export function newIdempotencyKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes("?") ? "&" : "?"}${qs}` : path;
}

function buildHeaders(opts) {
  const headers = { Accept: "application/json, application/problem+json", ...(opts.headers || {}) };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  return headers;
}

async function send(path, opts) {
  const method = (opts.method || "GET").toUpperCase();
  const headers = buildHeaders(opts);
  const init = { method, headers, credentials: "same-origin", cache: "no-store" };
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(opts.body);
  }
  if (method === "POST") headers["Idempotency-Key"] = opts.idempotencyKey || newIdempotencyKey();
  try {
    return await fetch(withQuery(path, opts.query), init);
  } catch (err) {
    throw new ApiError(0, { code: "network_error", detail: String(err) });
  }
}

async function failure(response) {
  let problem = null;
  try {
    problem = await response.json();
  } catch {
    problem = null;
  }
  return new ApiError(response.status, problem);
}

export async function api(path, opts = {}) {
  const response = await send(path, opts);
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response.text();
}

// For images behind auth (an <img src> cannot send a bearer token).
export async function apiBlobUrl(path, opts = {}) {
  const response = await send(path, opts);
  if (!response.ok) throw await failure(response);
  return URL.createObjectURL(await response.blob());
}

// The caller's token lives only in this tab (sessionStorage): closing the tab logs out.
export function tokenStore(name) {
  const key = `localcoin.${name}`;
  return {
    get: () => sessionStorage.getItem(key),
    set: (value) => sessionStorage.setItem(key, value),
    clear: () => sessionStorage.removeItem(key),
  };
}
