"""A merchant's webhook receiver for the local stack, mounted at `/_sim/merchant`: the other end of
Paygate's webhooks, as a merchant's server would be. Not a provider simulator (it is in no catalog).

Every receiver has a name of the test's choosing (`/shop-a`, `/shop-b`: one per endpoint registered) and
keeps every webhook posted to it, with what it answered:

- `POST /<name>`: a webhook. Recorded (the headers, with lowercase names as the Standard Webhooks
  specification spells them; the raw body as text; when), answered `200 {"ok": true}` unless configured
  otherwise.
- `POST /<name>/_configure` with `{"fail_next": N, "fail_status": 500, "fail_rate": 0.3, "seed": 7,
  "status": 410}`, every field optional: fail the next N deliveries with `fail_status` (500 by default);
  fail each one with probability `fail_rate`, drawn from its own `random.Random(seed)` so a test is
  reproducible; or answer `status` to every delivery from now on (410 Gone asks for the endpoint to be
  disabled). `{}` resets to answering 200. `fail_next` comes first, then `status`, then `fail_rate`.
- `GET /<name>/_received`: `{"received": [{"headers", "body", "status", "at"}]}`, oldest first;
  `DELETE /<name>/_received` forgets them.
- `GET /<name>/shop/<page>`: the shop's own page a customer lands on (the success or failure URL of a
  payment), a short HTML page naming it.

Tests in the same process use `received(name)`, `configure(name, **options)` and `clear(name)`. All of
it is safe to call from several threads at once.
"""

from __future__ import annotations

import html
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import BadRequest
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from local.simulators.base import RoutedApp, json_response

OPTIONS = frozenset({"fail_next", "fail_status", "fail_rate", "seed", "status"})


@dataclass
class Behaviour:
    """How one receiver answers; the default answers 200 to everything."""

    fail_next: int = 0
    fail_status: int = 500
    fail_rate: float = 0.0
    status: int | None = None
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> Behaviour:
        unknown = set(options) - OPTIONS
        if unknown:
            raise ValueError(f"unknown options: {', '.join(sorted(unknown))}")
        fail_next = options.get("fail_next", 0)
        fail_status = options.get("fail_status", 500)
        fail_rate = options.get("fail_rate", 0.0)
        status = options.get("status")
        seed = options.get("seed")
        if not _is_int(fail_next) or fail_next < 0:
            raise ValueError("fail_next must be a whole number, 0 or more")
        if not _is_int(fail_status) or not 200 <= fail_status <= 599:
            raise ValueError("fail_status must be an HTTP status")
        if status is not None and (not _is_int(status) or not 200 <= status <= 599):
            raise ValueError("status must be an HTTP status")
        if isinstance(fail_rate, bool) or not isinstance(fail_rate, int | float) or not 0 <= fail_rate <= 1:
            raise ValueError("fail_rate must be a number from 0 to 1")
        if seed is not None and not _is_int(seed):
            raise ValueError("seed must be a whole number")
        return cls(fail_next, fail_status, float(fail_rate), status, random.Random(seed))

    def next_status(self) -> int:
        if self.fail_next > 0:
            self.fail_next -= 1
            return self.fail_status
        if self.status is not None:
            return self.status
        if self.fail_rate > 0 and self.rng.random() < self.fail_rate:
            return self.fail_status
        return 200


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class MerchantReceiver(RoutedApp):
    """A WSGI app: any number of named webhook receivers, each with its configuration and its records."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.behaviours: dict[str, Behaviour] = {}
        self.records: dict[str, list[dict[str, Any]]] = {}
        # Every body any receiver was sent, never cleared: what the event contract is checked against.
        self.every_body: list[str] = []
        self.url_map = Map(
            [
                Rule("/<name>", methods=["POST"], endpoint="webhook"),
                Rule("/<name>/_configure", methods=["POST"], endpoint="configure"),
                Rule("/<name>/_received", methods=["GET"], endpoint="get_received"),
                Rule("/<name>/_received", methods=["DELETE"], endpoint="delete_received"),
                Rule("/<name>/shop/<page>", methods=["GET"], endpoint="shop_page"),
            ],
            strict_slashes=False,
        )

    # --- Python API, for tests in the same process ---------------------------------------------------

    def received(self, name: str) -> list[dict[str, Any]]:
        """What `name` received, oldest first (copies: changing them changes nothing here)."""
        with self.lock:
            return [{**record, "headers": dict(record["headers"])} for record in self.records.get(name, [])]

    def configure(self, name: str, **options: Any) -> None:
        """Set how `name` answers from now on (see the module's docstring); no options: answer 200."""
        behaviour = Behaviour.from_options(options)
        with self.lock:
            self.behaviours[name] = behaviour

    def clear(self, name: str) -> None:
        with self.lock:
            self.records.pop(name, None)

    def on_webhook(self, request: Request, name: str) -> Response:
        body = request.get_data(cache=False).decode("utf-8", errors="replace")
        headers = {name.lower(): value for name, value in request.headers.items()}
        with self.lock:
            status = self.behaviours.setdefault(name, Behaviour()).next_status()
            self.records.setdefault(name, []).append(
                {"headers": headers, "body": body, "status": status, "at": time.time()}
            )
            self.every_body.append(body)
        if status in (204, 304):  # answers without a body
            return Response(status=status)
        if 200 <= status < 300:
            return json_response({"ok": True}, status)
        return json_response({"ok": False, "status": status}, status)

    def on_configure(self, request: Request, name: str) -> Response:
        options = request.get_json(silent=True)
        if not isinstance(options, dict):
            raise BadRequest("the body must be a JSON object")
        try:
            self.configure(name, **options)
        except ValueError as error:
            raise BadRequest(str(error)) from error
        return json_response({"configured": options})

    def on_get_received(self, request: Request, name: str) -> Response:
        return json_response({"received": self.received(name)})

    def on_delete_received(self, request: Request, name: str) -> Response:
        self.clear(name)
        return json_response({"received": []})

    def on_shop_page(self, request: Request, name: str, page: str) -> Response:
        title = html.escape(f"{name}: {page}")
        body = f'<!doctype html><html lang="en"><title>{title}</title><h1 id="shop">{title}</h1></html>'
        return Response(body, content_type="text/html; charset=utf-8")
