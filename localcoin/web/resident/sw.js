// The resident wallet's service worker: keeps the app shell (page, scripts,
// styles, icons) so the wallet opens on a bad connection. It never stores an
// API answer: balances, history and QR tokens are personal and must be fresh,
// so anything under /v1/ (and anything not GET) goes straight to the network.
// Shell files are fetched from the network first and the cache is only the
// fallback, so an upgrade of the server shows at the next visit.

const CACHE = "localcoin-wallet-shell-v1";
const SHELL = [
  "/",
  "/manifest.webmanifest",
  "/static/common/api.js",
  "/static/common/i18n.js",
  "/static/common/wallet.css",
  "/static/common/wallet-app.js",
  "/static/common/wallet-messages.js",
  "/static/common/wallet-emvco.js",
  "/static/common/wallet-scan.js",
  "/static/common/wallet-icon.svg",
  "/static/common/wallet-icon-192.png",
  "/static/common/wallet-icon-512.png",
  "/static/vendor/jsQR.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

function isShell(url) {
  if (url.origin !== self.location.origin) return false;
  if (url.pathname === "/") return true;
  return SHELL.includes(url.pathname);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (!isShell(url)) return; // the API and everything else: the network only, never cached
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          // "/?pay=…" carries a payment link: store the page under "/" only.
          caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
        }
        return response;
      })
      .catch(() => caches.match(url.pathname)),
  );
});
