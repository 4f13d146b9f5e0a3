"""What every provider simulator shares: in-memory payments, the control endpoint (docs/design.md),
fault injection for tests, call counts, and delivery of callbacks to the gateway over real HTTP. The
fault injection and call counts (`FaultInjection`) also serve the local stack's sandbox (local/sandbox.py)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

import requests
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json", headers=headers)


class RoutedApp:
    """A WSGI app whose `url_map` endpoints are its `on_<endpoint>` methods; HTTP errors answer in JSON."""

    url_map: Map

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        try:
            endpoint, arguments = self.url_map.bind_to_environ(environ).match()
            response = getattr(self, f"on_{endpoint}")(request, **arguments)
        except HTTPException as error:
            response = json_response({"message": error.description}, error.code or 500)
        return response(environ, start_response)


class FaultInjection(RoutedApp):
    """What tests may do to a provider in the local stack: queue faults for its next calls (`POST /_faults`,
    `queue_faults`) and count its calls (`GET /_calls`, `calls`). Its own routes come after these."""

    def __init__(self, rules: list[Rule]):
        self.calls: Counter[str] = Counter()
        self.faults: dict[str, list[str]] = {}
        self.fault_delay = 2.0
        self.url_map = Map(
            [
                Rule("/_faults", methods=["POST"], endpoint="set_faults"),
                Rule("/_calls", methods=["GET"], endpoint="get_calls"),
                *rules,
            ]
        )

    def queue_faults(self, **operations: list[str]) -> None:
        """`create=["timeout", "error"]`: the next create calls misbehave, in that order (see misbehave)."""
        for operation, faults in operations.items():
            self.faults[operation] = list(faults)

    def clear_faults(self) -> None:
        self.faults.clear()

    def on_set_faults(self, request: Request) -> Response:
        """The body of `queue_faults` as JSON: `{"create": ["timeout", "error"]}`."""
        self.queue_faults(**(request.get_json(silent=True) or {}))
        return json_response({"faults": self.faults})

    def on_get_calls(self, request: Request) -> Response:
        return json_response(dict(self.calls))

    def misbehave(self, operation: str) -> Response | None:
        """Count the call; answer with the next queued fault for it, if any (slow, timeout, error, garbage)."""
        self.calls[operation] += 1
        queue = self.faults.get(operation) or []
        if not queue:
            return None
        fault = queue.pop(0)
        if fault == "slow":  # answers normally, but well within the gateway's timeout
            time.sleep(self.fault_delay / 4)
            return None
        if fault == "timeout":
            time.sleep(self.fault_delay)  # longer than the gateway waits in the local stack
            return json_response({"message": "late"}, 504)
        if fault == "garbage":
            return Response("<html>oops</html>", status=200, content_type="text/html")
        return json_response({"message": "internal error"}, 500)


class Simulator(FaultInjection):
    """A provider's API as it answers on the wire. Subclasses add their routes and callback format."""

    name: str

    def __init__(self, *, gateway_url: str, credentials: dict[str, str], public_url: str):
        self.gateway_url = gateway_url.rstrip("/")  # where the gateway's /ipn/<name> lives
        self.public_url = public_url.rstrip("/")  # where this simulator is mounted
        self.credentials = credentials
        self.payments: dict[str, dict] = {}
        self.lock = threading.Lock()
        super().__init__([Rule("/payments/<payment_id>/status", methods=["POST"], endpoint="control"), *self.rules()])

    def rules(self) -> list[Rule]:
        return []

    # --- control: change a payment and deliver the callback exactly as the provider would ---------

    def on_control(self, request: Request, payment_id: str) -> Response:
        status = (request.get_json(silent=True) or {}).get("status")
        with self.lock:
            payment = self.payments.get(payment_id)
            if payment is None:
                raise NotFound(f"no payment {payment_id}")
            url, body, headers = self.callback(payment, status)
        response_status = self.deliver(url, body, headers)
        return json_response({"delivered": True, "response_status": response_status})

    def callback(self, payment: dict, status: Any) -> tuple[str, bytes, dict[str, str]]:
        """Set the payment's native status; return the callback to deliver (url, raw body, headers)."""
        raise NotImplementedError

    def deliver(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        return requests.post(url, data=body, headers=headers, timeout=30).status_code
