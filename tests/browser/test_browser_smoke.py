"""The browser setup end to end: a page served over real HTTP, opened in desktop and phone pages of the
session's chromium, read back, and screenshotted; proves the fixtures before any real page relies on them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.conftest import Screens

PAGE = b"""<!doctype html>
<html>
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Paygate</title>
  </head>
  <body><h1>Paygate checkout</h1><p>Amount due: 12.50 EUR</p></body>
</html>
"""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        # Keeps pytest's output to the tests' own.
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)  # port 0: any free port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_desktop_and_phone_pages_render_and_are_screenshotted(screens: Screens, site: str) -> None:
    for page, width in ((screens.desktop(), 1280), (screens.phone(), 375)):
        page.goto(site)
        assert page.locator("h1").inner_text() == "Paygate checkout"
        assert page.evaluate("window.innerWidth") == width
        path = screens.shot(page, "checkout")
        assert path.is_file()
        assert path.read_bytes().startswith(PNG_SIGNATURE)
