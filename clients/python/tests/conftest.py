"""The local stack for the client's tests: `python -m local.stack` in a process of its own, on a free port,
reached over HTTP only, as a merchant's program reaches a gateway. Its own process keeps it apart from the
stacks other test files run in theirs (a stack's settings are its process's environment)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from paygate_client import Paygate

REPOSITORY = Path(__file__).parents[3]
KEY = "pg_client_test_key"
# An account of its own for the pagination test, so that its list holds exactly what that test made.
PAGES_KEY = "pg_client_pages_key"
SHELL_ENVIRONMENT = {"PATH", "HOME", "USER", "LANG", "TERM", "TMPDIR", "TZ", "VIRTUAL_ENV", "JAVA_HOME", "SYSTEMROOT"}


@dataclass
class Gateway:
    base_url: str

    def get(self, path: str) -> Any:
        answer = requests.get(self.base_url + path, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def post(self, path: str, body: Any) -> Any:
        answer = requests.post(self.base_url + path, json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def provider_creates(self) -> int:
        """How many creates the sandbox provider has received (its simulator's count)."""
        return int(self.get("/_sim/sandbox/_calls").get("create", 0))

    def pay(self, provider_payment_id: str, status: str = "succeeded") -> None:
        """The customer pays at the sandbox, which sends the gateway its signed callback."""
        self.post(f"/_sim/sandbox/payments/{provider_payment_id}/status", {"status": status})

    def receiver_url(self, name: str) -> str:
        return f"{self.base_url}/_sim/merchant/{name}"

    def received(self, name: str) -> list[dict[str, Any]]:
        """The webhooks the merchant receiver `name` got: headers (lower case), raw body, status."""
        return self.get(f"/_sim/merchant/{name}/_received")["received"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    port = _free_port()
    # A shell's environment and no more: the stack sets up its own AWS and provider settings, and those a
    # stack in this process set (other test files run one) must not leak into it.
    environment = {
        name: value
        for name, value in os.environ.items()
        if name in SHELL_ENVIRONMENT or name.startswith(("LC_", "PYENV", "SSL_CERT_"))
    }
    environment["WEBHOOK_RETRY_SCHEDULE"] = "1,1,1"
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "local.stack",
                "--port",
                str(port),
                "--api-keys",
                f"acct_client={KEY},acct_client_pages={PAGES_KEY}",
                "--sweep-seconds",
                "0",
            ],
            cwd=REPOSITORY,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    gateway = Gateway(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"the local stack stopped at start:\n{log.read_text()}")
            try:
                if requests.get(gateway.base_url + "/_local/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the local stack did not start in 120 s:\n{log.read_text()}")
            time.sleep(0.5)
        yield gateway
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def paygate(gateway: Gateway) -> Paygate:
    return Paygate(KEY, gateway.base_url)
