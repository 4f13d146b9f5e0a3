"""Fixtures for the browser tests: one headless chromium for the session (Debian's, installed by
scripts/bootstrap.sh, since Playwright's own browser download is not used) and, per test, fresh desktop and
phone pages whose full-page screenshots land under SCREENSHOT_DIR (default artifacts/screenshots), one
directory per test, so that a failure can be looked at after the run."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

DESKTOP: dict = {"viewport": {"width": 1280, "height": 800}}
PHONE: dict = {
    "viewport": {"width": 375, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest cannot set pytestmark for its directory, so every test collected under it is marked here
    # (the hook sees the whole session's items, hence the path check).
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


def find_chromium() -> str:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("chromium is not installed: run `bash scripts/bootstrap.sh browser`", pytrace=False)
    return found


def screenshot_dir() -> Path:
    configured = os.environ.get("SCREENSHOT_DIR")
    return Path(configured) if configured else ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    args = [
        # Containers often give /dev/shm only a few MB, which crashes renderers; /tmp is used instead.
        "--disable-dev-shm-usage",
    ]
    if os.geteuid() == 0:
        # Chromium refuses to start its sandbox as root (CI containers run as root).
        args.append("--no-sandbox")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=find_chromium(), headless=True, args=args)
        yield launched
        launched.close()


class Screens:
    """Fresh pages, each in a context of its own (no shared cookies or storage), and their screenshots."""

    def __init__(self, browser: Browser, test_name: str) -> None:
        self._browser = browser
        self._contexts: list[BrowserContext] = []
        self._kinds: dict[Page, str] = {}
        # Parametrized names carry brackets, slashes and the like: keep only what every filesystem accepts.
        self.directory = screenshot_dir() / (re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name).strip("._") or "test")

    def desktop(self, **options: object) -> Page:
        """A page 1280 px wide; `options` are the context's others (a language, scripts off, ...)."""
        return self._page("desktop", DESKTOP | options)

    def phone(self, **options: object) -> Page:
        """A page 375 px wide, as a phone shows it."""
        return self._page("phone", PHONE | options)

    def both(self, **options: object) -> list[Page]:
        return [self.desktop(**options), self.phone(**options)]

    def shot(self, page: Page, name: str) -> Path:
        """Saves the whole page (not only the viewport) as <name>-<desktop|phone>.png and returns its path."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{name}-{self._kinds[page]}.png"
        page.screenshot(path=path, full_page=True)
        return path

    def close(self) -> None:
        for context in self._contexts:
            context.close()
        self._contexts.clear()
        self._kinds.clear()

    def _page(self, kind: str, options: dict) -> Page:
        context = self._browser.new_context(**options)
        self._contexts.append(context)
        page = context.new_page()
        self._kinds[page] = kind
        return page


AXE = ROOT / ".tools" / "axe-core-4.14.1" / "axe.min.js"


def axe_violations(page: Page) -> list[str]:
    """What axe-core (from npm, scripts/bootstrap.sh) finds wrong with the page as it stands, every rule of
    its default set: one line per violation, with the elements it names. The page must be in a context made
    with `bypass_csp=True`, since the page's own CSP lets no other script in."""
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: run `bash scripts/bootstrap.sh axe`", pytrace=False)
    page.add_script_tag(path=AXE)
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{v['id']} ({v['impact']}): {v['help']} - {[node['target'] for node in v['nodes']]}" for v in found]


@pytest.fixture
def screens(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Screens]:
    opened = Screens(browser, request.node.name)
    yield opened
    opened.close()
