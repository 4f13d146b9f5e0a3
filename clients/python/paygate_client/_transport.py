"""One request to the gateway, tried again when trying again is safe and may help.

Reads retry on 429, 5xx and network failures. A create carries an `Idempotency-Key` (the caller's, or a new
uuid4 per call, the same on each of its tries), so it may be sent again after anything that leaves its fate
unknown: a 5xx, a network failure, a 409 that says the first try still runs (`idempotency_in_progress`) or
that asks to come back (`conflict`, any 409 with Retry-After), and 429. A business conflict
(`payment_not_cancellable`...) and every other 4xx are answers, never retried. A write without a key
retries only what proves it was not done: 429, a 409 asking to come back, a connection never made."""

from __future__ import annotations

import enum
import random
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import requests

from paygate_client import errors

# The 409 codes that mean "not done, ask again", unlike the business conflicts.
RETRYABLE_CONFLICTS = frozenset({"idempotency_in_progress", "conflict"})
# The longest wait between two tries, whatever the backoff or Retry-After says.
MAX_DELAY = 30.0
BASE_DELAY = 0.5


class Kind(enum.Enum):
    READ = "read"  # GET: no effect, always safe again
    CREATE = "create"  # a POST with an Idempotency-Key: at most once whatever the tries
    WRITE = "write"  # any other change: sent again only when the answer proves it was not made


class Transport:
    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        timeout: float,
        max_retries: int,
        session: requests.Session | None,
        user_agent: str,
    ):
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.session = session or requests.Session()
        self.user_agent = user_agent
        # Seams for the tests of the retry policy: how to wait, and how to draw the jitter.
        self.sleep: Callable[[float], None] = time.sleep
        self.random: Callable[[], float] = random.random

    def request(
        self,
        method: str,
        path: str,
        *,
        kind: Kind,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """The answer's JSON, or the exception of its error (raised after the last try)."""
        headers = {"X-API-Key": self.api_key, "Accept": "application/json", "User-Agent": self.user_agent}
        if kind is Kind.CREATE:
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        query = {name: value for name, value in (params or {}).items() if value is not None}
        url = self.base_url + path
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method, url, params=query, json=json, headers=headers, timeout=self.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as failure:
                # A create's key makes its resending safe; a write without one may have been made, unless
                # it never left (no connection was made).
                unsent = isinstance(failure, requests.ConnectTimeout)
                if (kind is Kind.WRITE and not unsent) or attempt >= self.max_retries:
                    raise errors.APIConnectionError(f"{method} {path}: {failure}") from failure
                self.sleep(self.backoff(attempt, None))
                attempt += 1
                continue
            if response.status_code < 400:
                return response.json() if response.content else None
            error = errors.from_answer(response.status_code, _json(response), response.headers.get("X-Correlation-Id"))
            if attempt >= self.max_retries or not self.retryable(kind, response, error):
                raise error
            self.sleep(self.backoff(attempt, response.headers.get("Retry-After")))
            attempt += 1

    @staticmethod
    def retryable(kind: Kind, response: requests.Response, error: errors.APIError) -> bool:
        status = response.status_code
        if status == 429:
            return True
        if status == 409:
            # Asked to come back (Retry-After), or a create whose first try still runs: the same key will
            # get its answer. Any other 409 is the answer.
            return error.code in RETRYABLE_CONFLICTS or "Retry-After" in response.headers
        if status >= 500:
            # A replayed answer is the first try's, final: sending the same key again replays it again.
            replayed = response.headers.get("Idempotent-Replayed") == "true"
            return kind is Kind.READ or (kind is Kind.CREATE and not replayed)
        return False

    def backoff(self, attempt: int, retry_after: str | None) -> float:
        """Seconds before the next try: Retry-After when the answer gives it; else exponential, with jitter
        (half of the delay is random) so that clients failing together do not come back together."""
        if retry_after is not None:
            try:
                return min(max(float(retry_after), 0.0), MAX_DELAY)
            except ValueError:
                pass  # an HTTP date: rare from the gateway, and the backoff below is as good
        delay = min(BASE_DELAY * 2**attempt, MAX_DELAY)
        return delay / 2 + self.random() * delay / 2


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
