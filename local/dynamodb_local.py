"""DynamoDB Local (Amazon's engine, from the npm package amplify-dynamodb-simulator), started on demand."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import boto3

from local.template import ROOT

HOME = ROOT / ".tools" / "dynamodb-local"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def client(endpoint: str, config: Any = None):
    """A DynamoDB client of the local engine at `endpoint` (`config`: a botocore Config, for its pool)."""
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=config,
    )


class DynamoDBLocal:
    def __init__(self, port: int | None = None, home: Path = HOME):
        if not (home / "DynamoDBLocal.jar").exists():
            raise RuntimeError(f"DynamoDB Local is not installed in {home}: run scripts/bootstrap.sh dynamodb")
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                "java",
                f"-Djava.library.path={home / 'DynamoDBLocal_lib'}",
                "-jar",
                str(home / "DynamoDBLocal.jar"),
                "-inMemory",
                "-sharedDb",
                "-disableTelemetry",
                "-port",
                str(self.port),
            ],
            cwd=home,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        probe = client(self.endpoint)
        while True:
            try:
                probe.list_tables()
                return
            except Exception:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("DynamoDB Local did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
