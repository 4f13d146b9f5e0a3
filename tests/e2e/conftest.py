from __future__ import annotations

import boto3
import pytest
import requests

from local.stack import TABLES, LocalStack


class Api:
    """A client of the running stack, as a merchant (and a provider) would call it."""

    def __init__(self, stack: LocalStack):
        self.base = f"http://{stack.host}:{stack.port}"
        self.api_key = stack.api_key
        self.http = requests.Session()

    def post(
        self,
        path: str,
        json: object = None,
        *,
        data: bytes | str | None = None,
        headers: dict | None = None,
        key: bool = True,
    ) -> requests.Response:
        sent = {"Content-Type": "application/json", **({"X-API-Key": self.api_key} if key else {}), **(headers or {})}
        return self.http.post(self.base + path, json=json, data=data, headers=sent, timeout=30)

    def get(self, path: str, *, key: bool = True, **params: str) -> requests.Response:
        headers = {"X-API-Key": self.api_key} if key else {}
        return self.http.get(self.base + path, headers=headers, params=params, timeout=30)

    def create(self, **fields: object) -> dict:
        response = self.post("/payments", {"amount": "10.50", "currency": "USD", "provider": "sandbox", **fields})
        assert response.status_code == 201, response.text
        return response.json()

    def control(self, provider: str, provider_payment_id: str, status: object) -> dict:
        response = self.http.post(
            f"{self.base}/_sim/{provider}/payments/{provider_payment_id}/status", json={"status": status}, timeout=30
        )
        assert response.status_code == 200, response.text
        return response.json()

    def payment(self, payment_id: str) -> dict:
        response = self.get(f"/payments/{payment_id}")
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def api(stack: LocalStack) -> Api:
    return Api(stack)


@pytest.fixture
def payments_count(stack: LocalStack):
    client = boto3.client("dynamodb")

    def count() -> int:
        return client.scan(TableName=TABLES["PaymentsTable"], Select="COUNT")["Count"]

    return count
