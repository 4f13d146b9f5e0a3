"""A provider that answers at one byte a second: every read gets a byte well within any socket timeout,
so only a deadline over the whole exchange stops a caller from waiting for all of it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

BODY = b'{"status": "waiting", "payment_status": "waiting"}'


@dataclass
class Dripping:
    url: str
    requests: list[bytes] = field(default_factory=list)  # the first bytes of each request received


@contextmanager
def dripping_server(*, head_at_once: bool = False, keep_alive: bool = False) -> Iterator[Dripping]:
    """An HTTP server on 127.0.0.1 that drips each answer a byte a second: all of it from the status line,
    or (`head_at_once`) the status line and headers at once and then the body. With `keep_alive`, its
    first answer is sent whole and the connection kept, and the next answer on it drips."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    stop = threading.Event()
    dripping = Dripping(url=f"http://127.0.0.1:{server.getsockname()[1]}")
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BODY)

    def answer(connection: socket.socket) -> None:
        with connection:
            try:
                for number in range(2 if keep_alive else 1):
                    dripping.requests.append(connection.recv(65536))
                    if keep_alive and number == 0:
                        connection.sendall(head + BODY)
                        continue
                    rest = head + BODY
                    if head_at_once:
                        connection.sendall(head)
                        rest = BODY
                    for byte in rest:
                        if stop.is_set():
                            return
                        connection.sendall(bytes([byte]))
                        time.sleep(1)
            except OSError:
                return  # the caller gave up and closed the connection

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield dripping
    finally:
        stop.set()
        thread.join()
        server.close()
