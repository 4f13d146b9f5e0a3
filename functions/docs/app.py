"""GET /docs, the API's reference page, and GET /openapi.json, the document it shows: public, from this
API's own origin.

The page is Swagger UI as Powertools ships it (in the layer: event_handler/openapi/swagger_ui) with a start
script of ours (init.js), each a file at /docs/<name>, under a Content-Security-Policy that lets the page
load and ask nothing but this origin: no CDN, no inline script (Powertools' own Swagger page inlines one).
openapi.json is a copy of the repository's, which `make openapi` writes next to this file."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Annotated

import aws_lambda_powertools
from aws_lambda_powertools.shared.version import VERSION as POWERTOOLS_VERSION
from aws_lambda_powertools.utilities.typing import LambdaContext

from paygate import api
from paygate.api import Query, Response
from paygate.errors import NotFound
from paygate.observability import logger, metrics

app = api.create_app()

HERE = Path(__file__).resolve().parent
SWAGGER_UI = Path(aws_lambda_powertools.__file__).parent / "event_handler" / "openapi" / "swagger_ui"
# name at /docs/<name> -> (file, content type)
ASSETS = {
    "swagger-ui.js": (SWAGGER_UI / "swagger-ui-bundle.min.js", "text/javascript; charset=utf-8"),
    "swagger-ui.css": (SWAGGER_UI / "swagger-ui.min.css", "text/css; charset=utf-8"),
    "init.js": (HERE / "init.js", "text/javascript; charset=utf-8"),
}
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# An asset's address names its version (?v=), so a browser may keep it a year: a new one is a new address.
IMMUTABLE = "public, max-age=31536000, immutable"
NOSNIFF = {"X-Content-Type-Options": "nosniff"}

# Relative addresses: deployed, the page is /<stage>/docs, and its files are beside it under the stage.
# An empty icon: a browser asks for none (/favicon.ico is no route).
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Paygate API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="docs/swagger-ui.css?v={swagger}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui.js?v={swagger}"></script>
<script src="docs/init.js?v={init}"></script>
</body>
</html>
"""


@cache
def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@cache
def page() -> str:
    # Swagger UI changes with Powertools' version; init.js with its content.
    init = hashlib.sha256(read(ASSETS["init.js"][0]).encode()).hexdigest()[:12]
    return PAGE.format(swagger=POWERTOOLS_VERSION, init=init)


@app.get("/docs", include_in_schema=False)
def docs() -> Response[str]:
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Cache-Control": "no-cache",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        **NOSNIFF,
    }
    return Response(200, "text/html; charset=utf-8", page(), headers)


# The version in a file's address (?v=) is for caches: any is answered with the file there is.
Version = Annotated[str | None, Query(description="the file's version")]


@app.get("/docs/<name>", include_in_schema=False)
def asset(name: str, v: Version = None) -> Response[str]:
    if name not in ASSETS:
        raise NotFound(f"No such file: {name}", code="route_not_found")
    path, content_type = ASSETS[name]
    return Response(200, content_type, read(path), {"Cache-Control": IMMUTABLE, **NOSNIFF})


@app.get("/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    return Response(200, "application/json", read(HERE / "openapi.json"), {"Cache-Control": "no-cache", **NOSNIFF})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return api.serve(app, event, context)
