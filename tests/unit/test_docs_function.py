"""The docs function at its HTTP edge (behind API Gateway as template.yaml routes it): the reference page
under a policy that lets in nothing but its own origin, Swagger UI's files from the layer with the address
of their version, and openapi.json exactly as `make openapi` writes it."""

from __future__ import annotations

import json
import re

import pytest
from werkzeug.test import Client

from local import template
from local.emulator import ApiEmulator, lambda_context
from local.openapi import DOCUMENT, SERVED_DOCUMENT

POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@pytest.fixture
def http(aws_env) -> Client:
    return Client(ApiEmulator(domain_name="localhost"))


def test_the_served_document_is_the_generated_one():
    assert SERVED_DOCUMENT.read_bytes() == DOCUMENT.read_bytes(), "functions/docs/openapi.json: run `make openapi`"


def test_the_page_loads_only_files_of_its_own_origin_under_its_policy(http):
    page = http.get("/docs")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Content-Security-Policy"] == POLICY
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    html = page.get_data(as_text=True)
    # No inline script or style: every script is a file, and every address is relative (this origin)
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == [] and "<style" not in html and "style=" not in html
    addresses = re.findall(r'(?:src|href)="([^"]*)"', html)
    addresses.remove("data:,")  # no icon: nothing to ask for
    assert sorted(address.split("?")[0] for address in addresses) == [
        "docs/init.js",
        "docs/swagger-ui.css",
        "docs/swagger-ui.js",
    ]
    for address in addresses:
        file = http.get(f"/{address}")
        assert file.status_code == 200, address
        # The address names the version: a browser keeps it a year
        assert file.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert file.headers["X-Content-Type-Options"] == "nosniff"
        kind = "text/css" if address.split("?")[0].endswith(".css") else "text/javascript"
        assert file.headers["Content-Type"] == f"{kind}; charset=utf-8"
    assert "SwaggerUIBundle" in http.get("/docs/swagger-ui.js").get_data(as_text=True)


def test_the_start_script_sends_nothing_to_another_origin(http):
    script = http.get("/docs/init.js").get_data(as_text=True)
    assert "validatorUrl: null" in script
    assert 'new URL(".", document.baseURI)' in script and 'new URL("openapi.json", here)' in script
    code = re.sub(r"(^|\s)//\s.*$", "", script, flags=re.M)  # without its comments
    assert "http" not in code and "//" not in code  # no address at all: only this page's own


def test_openapi_json_is_the_document_byte_for_byte(http):
    answer = http.get("/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.get_data() == DOCUMENT.read_bytes()
    json.loads(answer.get_data())


def test_no_other_file_is_served(http):
    for name in ("app.py", "openapi.json", "..%2Fapp.py", "swagger-ui-bundle.min.js"):
        answer = http.get(f"/docs/{name}")
        assert answer.status_code == 404, name
        assert answer.get_json()["error"]["code"] == "route_not_found"


def test_the_docs_are_public_and_their_function_may_call_nothing():
    routes = {(route.method, route.path): route for route in template.routes() if route.function == "DocsFunction"}
    assert set(routes) == {("GET", "/docs"), ("GET", "/docs/{name}"), ("GET", "/openapi.json")}
    assert not any(route.authorized for route in routes.values())
    assert "Policies" not in template.load()["Resources"]["DocsFunction"]["Properties"]


def test_the_sample_event_gets_the_page_as_lambda_invokes_the_handler(aws_env):
    event = json.loads((template.ROOT / "events" / "docs.json").read_text())
    answer = template.handler("DocsFunction")(event, lambda_context("DocsFunction"))
    assert answer["statusCode"] == 200
    headers = answer.get("multiValueHeaders") or {}
    assert headers["Content-Security-Policy"] == [POLICY]
    assert '<script src="docs/init.js?v=' in answer["body"]
