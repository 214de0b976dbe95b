"""The API's pages: Swagger UI at /docs and ReDoc at /redoc, from our own origin.

FastAPI's own pages load their scripts from a CDN and start them with an
inline script; a city's closed network cannot reach the CDN, and the web
apps' Content-Security-Policy refuses both. Here the pages are small HTML of
our own, the libraries' files come from the ``fastapi-offline`` package
(mounted at ``/docs-assets``) and Swagger UI starts from
``static/docs/swagger-init.js``. /docs carries the web apps' policy as it is.
ReDoc styles its page with styled-components, which writes ``<style>``
elements a nonce cannot reach in its prebuilt bundle: /redoc's policy is the
same but for ``style-src 'self' 'unsafe-inline'`` (scripts stay ours only).
ReDoc's bundle fetches one thing from outside, its vendor's logo in the
sidebar: that URL is replaced by an empty image as the file is served. Its
search runs in a worker made from a blob, which ``script-src 'self'`` refuses:
the search is off (Swagger UI at /docs filters by tag).

``LOCALCOIN_API_DOCS`` switches the pages off (production's default):
``/openapi.json`` stays, as integrators generate clients from it.
"""

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from localcoin.web_apps import PAGE_HEADERS

ASSETS = Path(str(files("fastapi_offline") / "static"))
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
REDOC_HEADERS = PAGE_HEADERS | {
    "Content-Security-Policy": PAGE_HEADERS["Content-Security-Policy"].replace(
        "style-src 'self';", "style-src 'self' 'unsafe-inline';"
    )
}

_SWAGGER = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>localcoin API</title>
<link rel="icon" href="/docs-assets/favicon.png">
<link rel="stylesheet" href="/docs-assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi="/openapi.json"></div>
<script src="/docs-assets/swagger-ui-bundle.js"></script>
<script src="/static/docs/swagger-init.js"></script>
</body>
</html>
"""

_REDOC = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>localcoin API</title>
<link rel="icon" href="/docs-assets/favicon.png">
</head>
<body>
<redoc spec-url="/openapi.json" disable-search="true"></redoc>
<script src="/docs-assets/redoc.standalone.js"></script>
</body>
</html>
"""


def install(app: FastAPI, *, enabled: bool) -> None:
    """Serves /docs and /redoc (and their assets) when ``enabled``."""
    if not enabled:
        return
    redoc_js = (ASSETS / "redoc.standalone.js").read_bytes().replace(REDOC_LOGO, b"data:,")

    # Before the mount, which would answer this path otherwise.
    @app.get("/docs-assets/redoc.standalone.js", include_in_schema=False)
    def redoc_bundle() -> Response:
        return Response(redoc_js, media_type="text/javascript; charset=utf-8")

    app.mount("/docs-assets", StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(_SWAGGER, headers=PAGE_HEADERS)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return HTMLResponse(_REDOC, headers=REDOC_HEADERS)
