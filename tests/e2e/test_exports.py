"""Exports over HTTP on the local stack (DynamoDB Local, moto's S3 embedded): the worker pumped from its
queue as Lambda's trigger would, the file fetched through its pre-signed URL; another account cannot read
the export, and the URL stops working once its hour is over (moto's clock moved forward)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.e2e.conftest import Api

pytestmark = pytest.mark.e2e
OTHER_ACCOUNTS_KEY = "pg_local_test_key_2"


def test_an_export_is_read_by_its_account_alone_and_its_url_expires_after_an_hour(stack, api):
    payment = api.create(reference="export-me")
    now = datetime.now(UTC)
    period = {
        "created_gte": (now - timedelta(minutes=5)).isoformat(),
        "created_lt": (now + timedelta(minutes=5)).isoformat(),
    }
    asked = api.post("/exports", {"type": "payments", "format": "csv", **period})
    assert asked.status_code == 202, asked.text
    export = asked.json()
    assert export["status"] == "pending"

    assert stack.exports.pump() == 1  # the worker, as Lambda's SQS trigger runs it
    read = api.get(f"/exports/{export['id']}").json()
    assert read["status"] == "succeeded" and read["rows"] >= 1
    fetched = requests.get(read["url"], timeout=10)
    assert fetched.status_code == 200
    rows = list(csv.DictReader(io.StringIO(fetched.text)))
    assert len(rows) == read["rows"]
    assert [row["reference"] for row in rows if row["id"] == payment["id"]] == ["export-me"]

    other = Api(stack, OTHER_ACCOUNTS_KEY).get(f"/exports/{export['id']}")
    assert other.status_code == 404 and other.json()["error"]["code"] == "export_not_found"

    stack.moto.skew = timedelta(minutes=59)
    try:
        assert requests.get(read["url"], timeout=10).status_code == 200  # within its hour
        stack.moto.skew = timedelta(hours=1, seconds=1)
        expired = requests.get(read["url"], timeout=10)
    finally:
        stack.moto.skew = timedelta(0)
    assert expired.status_code == 403 and "Request has expired" in expired.text
    fresh = api.get(f"/exports/{export['id']}").json()  # a new read signs a new hour
    assert requests.get(fresh["url"], timeout=10).text == fetched.text
