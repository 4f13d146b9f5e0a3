"""Fakes shared by the adapter unit tests (fakes over patches: adapters take their session)."""

from __future__ import annotations

import json

import requests


class FakeSession(requests.Session):
    """Answers each call with the next canned answer, `(status, body)` or `(status, body, headers)`, or
    raises it when it is an exception; keeps what was sent in `sent`."""

    def __init__(self, *answers: tuple | Exception):
        super().__init__()
        self.answers = list(answers)
        self.sent: list[tuple[str, str, dict]] = []

    def request(self, method, url, **kwargs):
        self.sent.append((method, url, kwargs))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body, *headers = answer
        response = requests.Response()
        response.status_code = status
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response.headers.update(headers[0] if headers else {})
        return response
