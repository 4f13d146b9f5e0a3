"""The committed OpenAPI document is the one the code generates (`make openapi` rewrites it)."""

from local.openapi import DOCUMENT, document


def test_openapi_document_matches_the_code(aws_env):
    assert DOCUMENT.read_text() == document(), "openapi.json is stale: run `make openapi`"
