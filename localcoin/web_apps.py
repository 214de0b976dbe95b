"""The web apps, served by the API's own process: the resident wallet at ``/``, the
merchant console at ``/merchant``, the bank and city console at ``/admin``.

Plain HTML, CSS and JavaScript from this package and nothing from outside our
server (no CDN, no web fonts, no analytics), so every page works on a closed
network. The one third-party script, the QR decoder (jsQR), is vendored under
``static/vendor/`` from a pinned npm release with its licence; the charts are
plain SVG drawn by our own scripts.

The pages talk to the same JSON API as any integrator; they hold no secret
beyond the caller's own token or key, in the tab's sessionStorage.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

WEB_ROOT = Path(__file__).parent / "web"

# Pages are re-read on every request (tiny, and no stale app after an upgrade);
# the strict policy keeps every script, style and image on our own origin.
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:;"
        " style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none';"
        " base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _page(path: Path, media_type: str = "text/html; charset=utf-8") -> FileResponse:
    return FileResponse(path, media_type=media_type, headers=PAGE_HEADERS)


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=WEB_ROOT / "static"), name="static")

    @app.get("/", include_in_schema=False)
    def resident_wallet() -> FileResponse:
        return _page(WEB_ROOT / "resident" / "index.html")

    @app.get("/merchant", include_in_schema=False)
    def merchant_console() -> FileResponse:
        return _page(WEB_ROOT / "merchant" / "index.html")

    @app.get("/admin", include_in_schema=False)
    def admin_console() -> FileResponse:
        return _page(WEB_ROOT / "admin" / "index.html")

    # The wallet is installable: its manifest and service worker sit at the
    # root so the worker's scope covers the whole app.
    @app.get("/manifest.webmanifest", include_in_schema=False)
    def manifest() -> FileResponse:
        return _page(WEB_ROOT / "resident" / "manifest.webmanifest", "application/manifest+json")

    @app.get("/sw.js", include_in_schema=False)
    def service_worker() -> FileResponse:
        return _page(WEB_ROOT / "resident" / "sw.js", "text/javascript; charset=utf-8")
