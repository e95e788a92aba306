"""Static assets served by the API: the console's own files and the npm packages the browser loads, all from disk.

- ``/console/static/…``: ``clob/api/static/console`` (the page's HTML, CSS and ES modules; no build step);
- ``/console/vendor/<name>/…``: a directory of an npm package installed by ``make bootstrap`` (``npm ci`` from
  package-lock.json) in the repository's ``node_modules`` (``POLYCLOB_NODE_MODULES`` names another);
- ``/docs``: Swagger UI from ``swagger-ui-dist`` over ``/openapi.json`` (FastAPI's default page loads it from a CDN,
  so it was blank offline).

A missing package does not stop the API: its URLs answer 404 and ``/docs`` answers 503 with what to run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from clob.api.errors import error_response

ROOT = Path(__file__).resolve().parents[2]
STATIC = Path(__file__).resolve().parent / "static" / "console"

VENDOR = {
    "preact": "preact",
    "htm": "htm/dist",
    "uplot": "uplot/dist",
    "swagger-ui": "swagger-ui-dist",
}
"""URL name → directory inside node_modules."""


@dataclass(frozen=True, slots=True)
class ConsoleAssets:
    static: Path
    node_modules: Path

    @property
    def page(self) -> Path:
        return self.static / "index.html"

    def vendor(self, name: str) -> Path:
        return self.node_modules / VENDOR[name]

    def missing(self) -> list[str]:
        """npm packages the console and /docs need that are not installed."""
        return [name for name in VENDOR if not self.vendor(name).is_dir()]


def default_assets() -> ConsoleAssets:
    return ConsoleAssets(STATIC, Path(os.environ.get("POLYCLOB_NODE_MODULES") or ROOT / "node_modules"))


def install_assets(app: FastAPI, assets: ConsoleAssets | None = None) -> ConsoleAssets:
    """Mount the console's files and the vendored packages, and serve ``/docs`` from them."""
    assets = assets or default_assets()
    app.state.console_assets = assets
    app.mount("/console/static", StaticFiles(directory=assets.static), name="console-static")
    for name in VENDOR:
        if assets.vendor(name).is_dir():
            app.mount(f"/console/vendor/{name}", StaticFiles(directory=assets.vendor(name)), name=f"vendor-{name}")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        if not assets.vendor("swagger-ui").is_dir():
            return error_response(503, "swagger-ui-dist is not installed: run make bootstrap (npm ci)")
        base = "/console/vendor/swagger-ui"
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API reference",
            swagger_js_url=f"{base}/swagger-ui-bundle.js",
            swagger_css_url=f"{base}/swagger-ui.css",
            swagger_favicon_url=f"{base}/favicon-32x32.png",
        )

    return assets
