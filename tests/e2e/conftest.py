from __future__ import annotations

from typing import Any

import boto3
import pytest
import requests

from local.stack import LocalStack


class Api:
    """A client of the running stack, as a merchant (and a provider) would call it."""

    def __init__(self, stack: LocalStack, api_key: str | None = None):
        self.base = f"http://{stack.host}:{stack.port}"
        self.api_key = api_key or stack.api_key
        self.http = requests.Session()

    def post(
        self,
        path: str,
        json: Any = None,
        *,
        data: bytes | str | None = None,
        headers: dict | None = None,
        key: bool = True,
    ) -> requests.Response:
        sent = {"Content-Type": "application/json", **({"X-API-Key": self.api_key} if key else {}), **(headers or {})}
        return self.http.post(self.base + path, json=json, data=data, headers=sent, timeout=30)

    def get(self, path: str, *, key: bool = True, headers: dict | None = None, **params: str) -> requests.Response:
        sent = {**({"X-API-Key": self.api_key} if key else {}), **(headers or {})}
        return self.http.get(self.base + path, headers=sent, params=params, timeout=30)

    def patch(self, path: str, json: Any) -> requests.Response:
        return self.http.patch(self.base + path, json=json, headers={"X-API-Key": self.api_key}, timeout=30)

    def create(self, **fields: Any) -> dict:
        response = self.post("/payments", {"amount": "10.50", "currency": "USD", "provider": "sandbox", **fields})
        assert response.status_code == 201, response.text
        return response.json()

    def control(self, provider: str, provider_payment_id: str, status: Any) -> dict:
        response = self.http.post(
            f"{self.base}/_sim/{provider}/payments/{provider_payment_id}/status", json={"status": status}, timeout=30
        )
        assert response.status_code == 200, response.text
        return response.json()

    def payment(self, payment_id: str) -> dict:
        response = self.get(f"/payments/{payment_id}")
        assert response.status_code == 200, response.text
        return response.json()


class Table:
    """The stack's payments table, read directly: what a request wrote, or did not."""

    def __init__(self, name: str):
        self.name = name
        self.client = boto3.client("dynamodb")

    def ids(self) -> set[str]:
        items = self.client.scan(TableName=self.name, ProjectionExpression="id")["Items"]
        return {item["id"]["S"] for item in items}

    def count(self) -> int:
        return self.client.scan(TableName=self.name, Select="COUNT")["Count"]

    def new_record(self, before: set[str]) -> dict:
        """The one payment item written since `before` was read."""
        new = [item for item in self.client.scan(TableName=self.name)["Items"] if item["id"]["S"] not in before]
        assert len(new) == 1
        return new[0]


@pytest.fixture
def api(stack: LocalStack) -> Api:
    return Api(stack)


@pytest.fixture
def other_merchant(stack: LocalStack) -> Api:
    """A client acting for the stack's second merchant account."""
    return Api(stack, api_key=list(stack.api_keys)[1])


@pytest.fixture
def table(stack: LocalStack) -> Table:
    return Table(stack.tables["PaymentsTable"])
