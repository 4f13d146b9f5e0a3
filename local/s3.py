"""The stack's embedded AWS (moto's server), with one thing S3 does that moto does not: a pre-signed URL
used after its expiry (X-Amz-Date plus X-Amz-Expires) is refused, 403 AccessDenied "Request has expired",
on a clock that tests may move forward (`skew`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

EXPIRED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
)


class ExpiringPresignedUrls:
    """WSGI middleware before moto's app: what S3 answers to a pre-signed URL past its time."""

    def __init__(self, app: Any, now: Any):
        self.app, self.now = app, now

    def __call__(self, environ: dict, start_response: Any) -> Any:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if "X-Amz-Expires" in query and "X-Amz-Date" in query:
            signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            if self.now() > signed + timedelta(seconds=int(query["X-Amz-Expires"][0])):
                headers = [("Content-Type", "application/xml"), ("Content-Length", str(len(EXPIRED)))]
                start_response("403 Forbidden", headers)
                return [EXPIRED]
        return self.app(environ, start_response)


class MotoServer(ThreadedMotoServer):
    """moto's threaded server with ExpiringPresignedUrls in front of it."""

    def __init__(self, ip_address: str, port: int):
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        # How far this server's clock runs ahead of the real one (a test's way to let an hour pass).
        self.skew = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.skew

    def _server_entry(self) -> None:
        app = ExpiringPresignedUrls(DomainDispatcherApplication(create_backend_app), self.now)
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()
