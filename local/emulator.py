"""API Gateway (REST API, Lambda proxy integration) emulated in-process from template.yaml.

Each request becomes the proxy event API Gateway would send, the function's real handler is called,
and its answer becomes the HTTP response. Routes behind the key authorizer run it first, as API Gateway
does: the REQUEST authorizer's real handler with X-API-Key, its answer kept `authorizer_ttl` seconds per
key (ReauthorizeEvery), its context put in the request's; a refusal, or no key, is the deployed Gateway
Responses' 401 in the one error shape."""

from __future__ import annotations

import base64
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from local import template
from paygate.errors import AuthenticationFailed, MethodNotAllowed, NotFound, PaygateError


@dataclass
class LambdaContext:
    function_name: str
    aws_request_id: str
    deadline: float
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def lambda_context(function: str, timeout_seconds: float = 15) -> LambdaContext:
    return LambdaContext(
        function_name=function,
        aws_request_id=str(uuid.uuid4()),
        deadline=time.monotonic() + timeout_seconds,
        invoked_function_arn=f"arn:aws:lambda:us-east-1:000000000000:function:{function}",
    )


def _error(error: PaygateError) -> Response:
    return Response(error.json(), status=error.http_status, content_type="application/json")


AUTHORIZER = "AuthorizerFunction"


RAW_HEADERS = "paygate.raw_headers"


class KeepingHeaders(WSGIRequestHandler):
    """The dev server's handler, keeping each header as sent: WSGI joins a repeated header's values into
    one (`a,b`), while API Gateway hands a function every value apart (`multiValueHeaders`)."""

    def make_environ(self) -> dict:
        environ = super().make_environ()
        environ[RAW_HEADERS] = list(self.headers.items())
        return environ


class ApiEmulator:
    def __init__(self, *, domain_name: str, stage: str = "v1", authorizer_ttl: float = 60.0):
        # The API's own address, as API Gateway knows its own domain: never the request's Host header.
        self.domain_name = domain_name
        self.stage = stage
        self.authorizer_ttl = authorizer_ttl
        self.routes = [(route, _pattern(route.path)) for route in template.routes()]
        self._authorized: dict[str, tuple[float, dict | None]] = {}  # key -> (when, context or refused)
        self._lock = threading.Lock()
        # Each function's execution environments, busy or free: as Lambda, one invocation at a time in
        # each (a handler's module state, such as the resolver's current event, is never shared), and a
        # new one when all are busy.
        self._environments: dict[str, list[threading.Lock]] = {}

    def __call__(self, environ: dict, start_response: Any) -> Any:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        path_matched = False
        for route, pattern in self.routes:
            match = pattern.fullmatch(request.path)
            if not match:
                continue
            path_matched = True
            if route.method in (request.method, "ANY"):
                return self._invoke(route, match.groupdict(), request)
        if path_matched:
            return _error(MethodNotAllowed("Method not allowed"))
        # API Gateway answers unknown routes with MISSING_AUTHENTICATION_TOKEN (403); ours say 404.
        return _error(NotFound("No such route", code="route_not_found"))

    def _invoke(self, route: template.Route, path_parameters: dict, request: Request) -> Response:
        authorizer = None
        if route.authorized:
            authorizer = self.authorize(request)
            if authorizer is None:
                return _error(AuthenticationFailed("Missing or invalid X-API-Key", code="invalid_api_key"))
        event = self.event(route, path_parameters, request, authorizer)
        busy, environment = self._environment(route.function)
        try:
            answer = template.handler(route.function, environment)(event, lambda_context(route.function))
        finally:
            busy.release()
        body = answer.get("body") or ""
        data = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
        # API Gateway merges `headers` and `multiValueHeaders`; werkzeug adds no Content-Type of its own
        # when the answer names one.
        headers = Headers()
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            for value in values:
                headers.add(name, value)
        for name, value in (answer.get("headers") or {}).items():
            headers[name] = value
        return Response(data, status=answer["statusCode"], headers=headers)

    def _environment(self, function: str) -> tuple[threading.Lock, int]:
        """A free execution environment of `function` (taken: release its lock when done), new if none is."""
        with self._lock:
            environments = self._environments.setdefault(function, [])
            for number, busy in enumerate(environments):
                if busy.acquire(blocking=False):
                    return busy, number
            environments.append(threading.Lock())
            environments[-1].acquire()
            return environments[-1], len(environments) - 1

    def authorize(self, request: Request) -> dict | None:
        """The authorizer's context for the request's key (its principal, account, mode), or None: refused.
        API Gateway asks nothing without the header, and keeps each answer for the cache's time."""
        # API Gateway's `headers` keep a repeated header's last value (the function refuses the request).
        headers, multi = _headers(request)
        key = next((values[-1] for name, values in multi.items() if name.lower() == "x-api-key"), None)
        if not key:
            return None
        now = time.monotonic()
        with self._lock:
            cached = self._authorized.get(key)
        if cached is not None and now - cached[0] < self.authorizer_ttl:
            return cached[1]
        event = {
            "type": "REQUEST",
            "methodArn": f"arn:aws:execute-api:us-east-1:000000000000:local/{self.stage}/{request.method}"
            + request.path,
            "headers": headers,
            "multiValueHeaders": multi,
            "requestContext": {"stage": self.stage, "identity": {"sourceIp": request.remote_addr}},
        }
        try:
            answer = template.handler(AUTHORIZER)(event, lambda_context(AUTHORIZER, 5))
        except Exception:  # the authorizer crashed (API Gateway: 500): no key is let through
            context = None
        else:
            allowed = answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
            context = {"principalId": answer["principalId"], **answer.get("context", {})} if allowed else None
        with self._lock:
            self._authorized[key] = (now, context)
        return context

    def event(self, route: template.Route, path_parameters: dict, request: Request, authorizer: dict | None) -> dict:
        raw = request.get_data()
        try:
            body, encoded = raw.decode("utf-8"), False
        except UnicodeDecodeError:
            # API Gateway hands bodies it cannot pass as text to Lambda base64-encoded.
            body, encoded = base64.b64encode(raw).decode(), True
        headers, multi = _headers(request)
        query = {name: values[-1] for name, values in request.args.lists()}
        return {
            "resource": route.path,
            "path": request.path,
            "httpMethod": request.method,
            "headers": headers,
            "multiValueHeaders": multi,
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": {k: v for k, v in request.args.lists()} or None,
            "pathParameters": path_parameters or None,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": route.path,
                "httpMethod": request.method,
                "path": f"/{self.stage}{request.path}",
                "stage": self.stage,
                "requestId": str(uuid.uuid4()),
                "domainName": self.domain_name,
                "identity": {"sourceIp": request.remote_addr, "userAgent": request.headers.get("User-Agent")},
                "authorizer": authorizer,
            },
            "body": body if raw else None,
            "isBase64Encoded": encoded,
        }


def _headers(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """A request's headers as API Gateway hands them on: `headers` (a repeated header's last value) and
    `multiValueHeaders` (every value)."""
    sent = request.environ.get(RAW_HEADERS)
    if sent is None:  # not through the server (a test client): what WSGI gives is all there is
        sent = list(request.headers.items())
    multi: dict[str, list[str]] = {}
    for name, value in sent:
        multi.setdefault(name, []).append(value)
    return {name: values[-1] for name, values in multi.items()}, multi


def _pattern(path: str) -> re.Pattern[str]:
    """An API Gateway path as a regex: `{name}` is one segment, `{name+}` the rest of the path."""
    escaped = re.escape(path)
    greedy = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", escaped)
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", greedy))
