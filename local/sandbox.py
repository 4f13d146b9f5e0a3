"""The sandbox in the local stack: the sandbox function itself (functions/sandbox/app.py, as test mode
deploys it), answering behind the API emulator at /_sim/sandbox/, its payments in the local DynamoDB's
SandboxTable. Mounted in front of it, this adds what the simulators give tests and the deployed function
must never have: `POST /_faults` and `GET /_calls` (faults and counts for `create`, `read` and `refund`), the
create bodies as they arrived (`request`), and a payment read or changed in the sandbox's table
(`payment`, `update`), as if the sandbox itself had changed it."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from local.simulators.base import FaultInjection

_SERIALIZER, _DESERIALIZER = TypeSerializer(), TypeDeserializer()


class Sandbox(FaultInjection):
    """A WSGI app for /_sim/sandbox/: the hooks above, and everything else handed to `api` unchanged."""

    name = "sandbox"

    def __init__(self, api: Any, table: str):
        self.api = api  # the API emulator, which routes /_sim/sandbox/{proxy+} to the sandbox function
        self.table = table
        self.dynamodb = boto3.client("dynamodb")
        self.requests: dict[str, Any] = {}
        super().__init__(
            [
                Rule("/v1/payments", methods=["POST"], endpoint="create"),
                Rule("/v1/payments/<payment_id>", methods=["GET"], endpoint="read"),
                Rule("/v1/refunds", methods=["POST"], endpoint="refund"),
                Rule("/<path:path>", endpoint="function"),
            ]
        )

    # --- for tests in the same process -------------------------------------------------------------

    def payment(self, payment_id: str) -> dict:
        """The payment as the sandbox holds it."""
        key = {"id": {"S": payment_id}}
        item = self.dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=True)["Item"]
        return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}

    def update(self, payment_id: str, **fields: Any) -> None:
        """Change the payment's fields at the sandbox (its `status` without a callback, or the `amount`,
        `currency` and `amount_paid` its next read and callback report)."""
        payment = {**self.payment(payment_id), **fields}
        if payment.get("status") == "succeeded":  # paid in full unless told otherwise, as the sandbox's own change
            payment.setdefault("amount_paid", payment["amount"])
        item = {name: _SERIALIZER.serialize(value) for name, value in payment.items()}
        self.dynamodb.put_item(TableName=self.table, Item=item)

    def request(self, payment_id: str) -> Any:
        """The create body of the payment, as it arrived."""
        return self.requests[payment_id]

    # --- routes ------------------------------------------------------------------------------------

    def on_create(self, request: Request) -> Response:
        fault = self.misbehave("create")
        if fault is not None:
            return fault
        answer = self.forward(request)
        if answer.status_code == 201:
            self.requests[json.loads(answer.get_data())["id"]] = request.get_json(silent=True)
        return answer

    def on_read(self, request: Request, payment_id: str) -> Response:
        fault = self.misbehave("read")
        return fault if fault is not None else self.forward(request)

    def on_refund(self, request: Request) -> Response:
        fault = self.misbehave("refund")
        return fault if fault is not None else self.forward(request)

    def on_function(self, request: Request, path: str) -> Response:
        return self.forward(request)

    def forward(self, request: Request) -> Response:
        """The request as the sandbox function answers it behind the API emulator (at its full path)."""
        body = request.get_data()
        environ = {
            **request.environ,
            "SCRIPT_NAME": "",
            "PATH_INFO": request.environ.get("SCRIPT_NAME", "") + request.environ.get("PATH_INFO", ""),
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
        }
        return Response.from_app(self.api, environ, buffered=True)
