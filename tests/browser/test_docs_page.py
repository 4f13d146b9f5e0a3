"""The API's reference page in a real browser (chromium), at desktop and 375 px widths, from the local stack
over HTTP under its own Content-Security-Policy: it shows every operation of the document, with no error, no
blocked load and no request to any other origin."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, Request, expect

from local.openapi import DOCUMENT
from local.stack import LocalStack
from tests.browser.conftest import Screens

# Each violation of the page's policy, as the browser reports it to the page.
RECORD_VIOLATIONS = """
window.violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


class Watched:
    """What a page asked for and complained about while it was open."""

    def __init__(self, page: Page) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("request", self._asked)
        page.on("console", self._said)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _asked(self, request: Request) -> None:
        self.requests.append(request.url)

    def _said(self, message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.errors.append(message.text)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_the_docs_page_shows_every_operation_and_asks_only_its_own_origin(stack: LocalStack, screens: Screens):
    base = f"http://{stack.host}:{stack.port}"
    document = json.loads(DOCUMENT.read_text())
    operations = [(method.upper(), path) for path, item in document["paths"].items() for method in item]
    assert ("POST", "/payments") in operations
    for page in (screens.desktop(), screens.phone()):
        watched = Watched(page)
        answer = page.goto(f"{base}/docs")
        assert answer is not None and answer.status == 200
        assert answer.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self';")
        for method, path in operations:
            block = page.locator(f".opblock-{method.lower()}", has=page.locator(f'[data-path="{path}"]'))
            expect(block.first).to_be_visible()
            expect(block.first.locator(".opblock-summary-method")).to_have_text(method)
        # "Try it out" calls this API where the page is (deployed: under its stage)
        expect(page.locator(".servers select option")).to_have_text(f"{base} - this API")
        # Open the create: its request body's schema is drawn from the document too
        create = page.locator(".opblock-post", has=page.locator('[data-path="/payments"]')).first
        create.locator(".opblock-summary-control").click()
        expect(create.locator(".opblock-body")).to_be_visible()
        page.wait_for_load_state("networkidle")
        screens.shot(page, "docs")
        assert page.evaluate("window.violations") == []
        assert watched.errors == []
        assert {origin(url) for url in watched.requests} == {base}
        assert f"{base}/openapi.json" in watched.requests


def test_the_served_document_is_the_repositorys(stack: LocalStack, screens: Screens):
    page = screens.desktop()
    answer = page.request.get(f"http://{stack.host}:{stack.port}/openapi.json")
    assert answer.status == 200 and answer.headers["content-type"] == "application/json"
    assert answer.json() == json.loads(DOCUMENT.read_text())
    assert answer.body() == DOCUMENT.read_bytes()
