"""The console's browser tests: one stack (``python -m scripts.run_stack``, what ``make run`` starts) and one
headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright) per module.

Without Chromium the tests skip, except in CI (``POLYCLOB_REQUIRE_PG`` set) where that is a failure. Every page
the tests visit may only load from the stack itself: any other request is aborted and fails the test, so the console
and ``/docs`` are proven to work offline. Screenshots go to ``artifacts/console/`` (``POLYCLOB_ARTIFACTS`` names
another directory); ``POLYCLOB_UPDATE_DOCS_SCREENSHOTS=1`` also refreshes the ones committed in ``docs/console/``
(one per page).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from chain.anvil import free_port

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path("/usr/bin/chromium")
# Without these Chromium's background connections (updates, sync, QUIC probes) are refused here, many at a time.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
DOCS_SHOTS = {
    "overview",
    "market-after-trade",
    "trade",
    "settlement",
    "reconciliation",
    "chain",
    "docs",
    "market-phone",
}
"""The screenshots kept in docs/console: one of each page."""
PHONE = {"width": 390, "height": 844}
BLOCK_TIME = 0.25  # s: deploying, funding and settling wait for blocks; the stack's default 1 s triples the run


def _required() -> bool:
    return bool(os.environ.get("POLYCLOB_REQUIRE_PG"))


@pytest.fixture(scope="module")
def playwright_api() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is absent: apt-get install chromium (scripts/ensure_services.sh does it in CI)"
        if _required():
            pytest.fail(message)
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if _required():
            pytest.fail("the playwright package is not installed (make bootstrap)")
        pytest.skip("the playwright package is not installed (make bootstrap)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_api: Any) -> Iterator[Any]:
    # Playwright adds --headless and a fresh --user-data-dir (a temporary profile it deletes at close).
    launched = playwright_api.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state = tmp_path_factory.mktemp("console-stack")
    env = {k: v for k, v in os.environ.items() if k != "POLYCLOB_DATABASE_URL"}
    err = (state / "stack.err").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.run_stack", "--api-port", str(free_port()), "--chain-port", str(free_port()),
         "--state-dir", str(state), "--block-time", str(BLOCK_TIME)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = ""
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("{") or proc.poll() is not None:
                break
        assert line.startswith("{"), (state / "stack.err").read_text()[-3000:]
        info: dict[str, Any] = json.loads(line)
        info["state_dir"] = state
        info["admin_token"] = (state / "admin.token").read_text().strip()
        yield info
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        err.close()


@dataclass
class Shots:
    """Where screenshots go: the artifacts directory, and ``docs/console`` when asked to refresh those."""

    artifacts: Path
    docs: Path | None
    taken: list[Path] = field(default_factory=list)

    def take(self, page: Any, name: str, full_page: bool = True) -> None:
        path = self.artifacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        self.taken.append(path)
        if self.docs is not None and name in DOCS_SHOTS:
            shutil.copyfile(path, self.docs / path.name)


@pytest.fixture(scope="module")
def shots() -> Shots:
    artifacts = Path(os.environ.get("POLYCLOB_ARTIFACTS") or ROOT / "artifacts") / "console"
    artifacts.mkdir(parents=True, exist_ok=True)
    docs = ROOT / "docs" / "console" if os.environ.get("POLYCLOB_UPDATE_DOCS_SCREENSHOTS") == "1" else None
    if docs is not None:
        docs.mkdir(parents=True, exist_ok=True)
    return Shots(artifacts, docs)


@dataclass
class Console:
    """A browser page on the stack's console, with what went wrong in it collected for the test to check."""

    page: Any
    base: str
    offsite: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, route: str = "") -> None:
        self.page.goto(f"{self.base}/console{'#' + route if route else ''}")

    def check_clean(self) -> None:
        assert self.offsite == [], f"requests left the stack: {self.offsite}"
        assert self.errors == [], f"errors in the page: {self.errors}"


def _console(browser: Any, stack: dict[str, Any], viewport: dict[str, int], **options: Any) -> Iterator[Console]:
    context = browser.new_context(viewport=viewport, **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    own = urlsplit(stack["api_url"]).netloc
    console = Console(page, stack["api_url"])

    def only_the_stack(route: Any) -> None:
        url = route.request.url
        if url.startswith("data:") or urlsplit(url).netloc == own:
            route.continue_()
        else:
            console.offsite.append(url)
            route.abort()

    page.route("**/*", only_the_stack)
    page.on("pageerror", lambda exc: console.errors.append(str(exc)))
    try:
        yield console
    finally:
        context.close()


@pytest.fixture
def console(browser: Any, stack: dict[str, Any]) -> Iterator[Console]:
    yield from _console(browser, stack, DESKTOP)


@pytest.fixture
def phone(browser: Any, stack: dict[str, Any]) -> Iterator[Console]:
    yield from _console(browser, stack, PHONE, is_mobile=True, has_touch=True)
