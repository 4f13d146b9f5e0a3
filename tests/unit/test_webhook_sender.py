"""The webhook sender: which URLs it refuses (SSRF), and how one delivery behaves against a real HTTP
server on 127.0.0.1: exact body and headers, no redirects, bounded answers, a deadline, connecting only
to the address it checked. No network beyond 127.0.0.1."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import paygate
from paygate.webhooks import addresses, sender
from paygate.webhooks.addresses import UnsafeUrl, check_url
from paygate.webhooks.sender import send

PUBLIC = "93.184.216.34"
BIG = 5 * 1024 * 1024


def resolver(table: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    """Resolves only the names in `table`; anything else does not resolve (as an unknown name would)."""

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(table[host])

    return resolve


# --- a merchant's server on 127.0.0.1 ------------------------------------------------------------------


@dataclass
class Server:
    port: int
    scheme: str = "http"
    requests: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    server_names: list[str | None] = field(default_factory=list)  # SNI, for https
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: Server  # set per server

    def setup(self) -> None:
        super().setup()
        with self.state.lock:
            self.state.connections += 1

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.state.lock:
            self.state.requests.append({"path": self.path, "headers": list(self.headers.items()), "body": body})
        getattr(self, "route_" + self.path.strip("/").replace("-", "_"), self.route_ok)()

    def answer(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def route_ok(self) -> None:
        self.answer(200, b'{"ok":true}')

    def route_unavailable(self) -> None:
        self.answer(503, b"try later")

    def route_redirect(self) -> None:
        self.answer(302, b"moved", Location=f"http://127.0.0.1:{self.state.port}/ok")

    def route_big(self) -> None:  # 5 MB announced and sent, as long as the reader reads
        self.send_response(200)
        self.send_header("Content-Length", str(BIG))
        self.end_headers()
        chunk = b"x" * 65536
        try:
            for _ in range(BIG // len(chunk)):
                self.wfile.write(chunk)
        except OSError:
            pass

    def route_endless(self) -> None:  # a body that never ends: only a reader that stops returns
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            while not self.state.release.is_set():
                self.wfile.write(b"y" * 65536)
        except OSError:
            pass
        self.close_connection = True

    def route_hang(self) -> None:  # reads the request, never answers
        self.state.release.wait(10)
        self.close_connection = True

    def drip(self, data: bytes) -> None:
        """One byte every 50 ms for 3 s (a client that waits for it all fails the test, not hangs it)."""
        try:
            self.wfile.write(data)
            for _ in range(60):
                if self.state.release.wait(0.05):
                    break
                self.wfile.write(b"a")
                self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True

    def route_drip_headers(self) -> None:
        self.drip(b"HTTP/1.1 200 OK\r\nX-Slow: ")

    def route_drip_body(self) -> None:
        self.drip(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients the tests cut off (timeouts, refused certificates) are expected


def serve(context: ssl.SSLContext | None = None) -> tuple[Server, ThreadingHTTPServer]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    state = Server(port=httpd.server_address[1], scheme="https" if context else "http")
    httpd.RequestHandlerClass = type("BoundHandler", (Handler,), {"state": state})
    if context is not None:

        def record_server_name(connection: ssl.SSLObject, server_name: str | None, _: ssl.SSLContext) -> None:
            state.server_names.append(server_name)

        context.sni_callback = record_server_name
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return state, httpd


def stop(state: Server, httpd: ThreadingHTTPServer) -> None:
    state.release.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    state, httpd = serve()
    yield state
    stop(state, httpd)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- check_url -----------------------------------------------------------------------------------------


def test_deployed_mode_refuses_plain_http():
    with pytest.raises(UnsafeUrl, match="https"):
        check_url("http://merchant.example/hook", allow_private=False, resolve=resolver({"merchant.example": [PUBLIC]}))


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.1",
        "10.255.255.255",
        "172.16.5.4",
        "172.31.255.254",
        "192.168.1.1",
        "127.0.0.1",
        "127.8.9.10",
        "[::1]",
        "169.254.169.254",  # the cloud metadata service
        "169.254.0.1",
        "[fe80::1]",
        "[fc00::1]",
        "[fd12:3456:789a::1]",
        "224.0.0.1",  # multicast: ipaddress calls it global
        "239.255.255.250",
        "[ff02::1]",
        "[ff0e::1]",  # global-scope multicast: ipaddress calls it global too
        "240.0.0.1",
        "255.255.255.255",
        "0.0.0.0",  # noqa: S104 (an address refused, not one bound)
        "0.1.2.3",
        "[::]",
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "100.127.255.254",
        "192.0.2.10",  # documentation
        "198.18.0.1",  # benchmarking
        "[2001:db8::1]",
        "[::ffff:127.0.0.1]",  # IPv4-mapped
        "[::ffff:169.254.169.254]",
        "[::ffff:10.0.0.1]",
        "[::ffff:7f00:1]",  # the same, spelt in hex
        "[::127.0.0.1]",  # IPv4-compatible
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
        "[2002:7f00:1::1]",  # 6to4 of 127.0.0.1
        "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254
        "[fec0::1]",  # site-local
        # odd IPv4 spellings: getaddrinfo reads them as inet_aton does (numeric: no DNS query is made)
        "2130706433",
        "0x7f.1",
        "017700000001",
        "127.1",
        "0x7f000001",
        "0xa9fea9fe",  # 169.254.169.254
        "0251.0376.0251.0376",  # 169.254.169.254 in octal
        "2852039166",  # 169.254.169.254 as one number
    ],
)
def test_refuses_every_address_that_is_not_public(host):
    with pytest.raises(UnsafeUrl, match="private address"):
        check_url(f"https://{host}/hook", allow_private=False)


@pytest.mark.parametrize(
    "answers",
    [
        ["169.254.169.254"],
        ["10.1.2.3"],
        ["127.0.0.1"],
        ["::1"],
        ["::ffff:127.0.0.1"],
        ["fd00::5"],
        [PUBLIC, "10.0.0.5"],  # one bad answer among good ones is enough
        ["10.0.0.5", PUBLIC],
        ["2606:2800:220:1:248:1893:25c8:1946", "::1"],
        [PUBLIC, "fe80::1%eth0"],
    ],
)
def test_refuses_a_name_when_any_answer_is_not_public(answers):
    with pytest.raises(UnsafeUrl, match="private address"):
        check_url("https://merchant.example/hook", allow_private=False, resolve=resolver({"merchant.example": answers}))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://user:pass@merchant.example/hook", "credentials"),
        ("https://user@merchant.example/hook", "credentials"),
        ("https://@merchant.example/hook", "credentials"),
        ("https:///hook", "no host"),
        ("https://:443/hook", "no host"),
        ("merchant.example/hook", "https"),
        ("ftp://merchant.example/hook", "https"),
        ("file:///etc/passwd", "https"),
        ("gopher://merchant.example:70/", "https"),
        ("https://merchant.example:99999/", "not valid"),
        ("https://merchant.example:0/", "port"),
        ("https://merchant.example/a b", "spaces or control"),
        ("https://merchant.example/\r\nX-Injected: 1", "spaces or control"),
        ("https://merchant.example/caf\u00e9", "ASCII"),
        ("https://unknown.example/hook", "does not resolve"),
        ("https://empty.example/hook", "does not resolve"),
    ],
)
def test_refuses_malformed_urls(url, reason):
    resolve = resolver({"merchant.example": [PUBLIC], "empty.example": []})
    with pytest.raises(UnsafeUrl, match=reason):
        check_url(url, allow_private=False, resolve=resolve)
    with pytest.raises(UnsafeUrl):  # none of these is allowed in development either
        check_url(url.replace("https://", "http://"), allow_private=True, resolve=resolve)


@pytest.mark.parametrize("port", [22, 25, 6379, 8080, 1, 65535])
def test_a_public_host_is_reached_on_the_webs_ports_only(port):
    """Another port of a public host is another service (SSH, SMTP, Redis): refused outside development."""
    resolve = resolver({"merchant.example": [PUBLIC]})
    with pytest.raises(UnsafeUrl, match="port must be one of 443, 8443, 80"):
        check_url(f"https://merchant.example:{port}/hook", allow_private=False, resolve=resolve)
    assert check_url(f"http://merchant.example:{port}/hook", allow_private=True, resolve=resolve) == [PUBLIC]


def test_accepts_a_public_https_url_on_a_web_port_and_returns_its_addresses():
    calls = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append((host, port))
        return [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"]

    assert check_url("https://Merchant.Example/hook?x=1", allow_private=False, resolve=resolve) == [
        PUBLIC,
        "2606:2800:220:1:248:1893:25c8:1946",
    ]
    assert check_url("https://merchant.example:8443/hook", allow_private=False, resolve=resolve) == [
        PUBLIC,
        "2606:2800:220:1:248:1893:25c8:1946",
    ]
    assert calls == [("merchant.example", 443), ("merchant.example", 8443)]


def test_accepts_public_ip_literals_without_resolving_them():
    def resolve(host: str, port: int) -> list[str]:
        raise AssertionError("a literal address is not resolved")

    assert check_url(f"https://{PUBLIC}/hook", allow_private=False, resolve=resolve) == [PUBLIC]
    assert check_url("https://[2606:4700::1111]/hook", allow_private=False, resolve=resolve) == ["2606:4700::1111"]
    assert check_url("https://[::ffff:93.184.216.34]/", allow_private=False, resolve=resolve) == [
        "::ffff:93.184.216.34"
    ]


def test_development_mode_allows_http_and_private_addresses():
    assert check_url("http://127.0.0.1:8080/hook", allow_private=True) == ["127.0.0.1"]
    assert check_url("https://169.254.169.254/", allow_private=True) == ["169.254.169.254"]
    # getaddrinfo normalizes the odd spellings: what is checked (and connected to) is the real address
    assert check_url("http://0x7f.1/hook", allow_private=True) == ["127.0.0.1"]
    assert check_url("http://2130706433/hook", allow_private=True) == ["127.0.0.1"]
    with pytest.raises(UnsafeUrl, match="https"):
        check_url("http://127.0.0.1:8080/hook", allow_private=False)


def test_the_default_resolver_returns_every_address_once():
    assert addresses.resolve_host("127.0.0.1", 443) == ["127.0.0.1"]
    with pytest.raises(OSError):
        addresses.resolve_host("does-not-exist.invalid", 443)  # .invalid never resolves (RFC 6761)


# --- send ----------------------------------------------------------------------------------------------

BODY = b'{"type":"payment.succeeded","data":{"id":"pay_1","amount":"10.00","note":"caf\xc3\xa9"}}\n'
HEADERS = {
    "webhook-id": "msg_2mN8",
    "webhook-timestamp": "1700000000",
    "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
    "Content-Type": "application/json",
    "X-Mixed-Case": "Value  with two  spaces",
}


def test_delivers_the_body_and_headers_exactly_and_returns_the_answer(server):
    result = send(server.url("/ok"), BODY, HEADERS, allow_private=True)

    assert result.http_status == 200
    assert result.error is None
    assert 0 <= result.latency_ms < 2000
    [request] = server.requests
    assert request["path"] == "/ok"
    assert request["body"] == BODY
    for header in HEADERS.items():
        assert header in request["headers"]
    recorded = dict(request["headers"])
    assert recorded["Host"] == f"127.0.0.1:{server.port}"
    assert recorded["Content-Length"] == str(len(BODY))
    assert recorded["User-Agent"] == f"Paygate-Webhooks/{paygate.__version__}"


def test_the_url_decides_host_and_length_not_the_callers_headers(server):
    headers = {
        **HEADERS,
        "Host": "internal.admin",
        "Content-Length": "1",
        "Transfer-Encoding": "chunked",
        "User-Agent": "curl/8",
    }
    result = send(server.url("/ok?a=1&b=2"), BODY, headers, allow_private=True)

    assert result.http_status == 200
    [request] = server.requests
    assert request["path"] == "/ok?a=1&b=2"
    assert request["body"] == BODY
    names = [name.lower() for name, _ in request["headers"]]
    assert names.count("host") == 1 and names.count("content-length") == 1 and "transfer-encoding" not in names
    assert names.count("user-agent") == 1 and dict(request["headers"])["User-Agent"].startswith("Paygate-Webhooks/")
    assert dict(request["headers"])["Host"] == f"127.0.0.1:{server.port}"


def test_a_non_2xx_answer_is_an_answer_not_an_error(server):
    result = send(server.url("/unavailable"), BODY, HEADERS, allow_private=True)
    assert (result.http_status, result.error) == (503, None)


def test_a_redirect_is_not_followed(server):
    result = send(server.url("/redirect"), BODY, HEADERS, allow_private=True)

    assert result.http_status == 302
    assert result.error is None
    assert [request["path"] for request in server.requests] == ["/redirect"]  # /ok was never requested


@pytest.mark.parametrize("path", ["/big", "/endless"])
def test_a_huge_answer_is_never_read(server, path):
    started = time.monotonic()
    result = send(server.url(path), BODY, HEADERS, allow_private=True, timeout=5)

    assert time.monotonic() - started < 2
    assert result.http_status == 200
    assert result.error is None


def test_a_server_that_never_answers_times_out(server):
    started = time.monotonic()
    result = send(server.url("/hang"), BODY, HEADERS, allow_private=True, timeout=0.5)
    elapsed = time.monotonic() - started

    assert result.http_status is None
    assert result.error == "timeout after 0.5 s"
    assert 0.45 <= elapsed < 1.5
    assert 450 <= result.latency_ms < 1500
    assert len(server.requests) == 1  # it was delivered, just never answered


def test_a_slow_drip_is_cut_at_the_deadline(server):
    """Each byte comes within 50 ms, so no socket timeout ever fires: only the overall deadline stops it."""
    started = time.monotonic()
    result = send(server.url("/drip-headers"), BODY, HEADERS, allow_private=True, timeout=0.5)

    assert time.monotonic() - started < 1.5
    assert result.http_status is None
    assert result.error == "timeout after 0.5 s"


def test_a_body_dripping_after_the_status_is_not_waited_for(server):
    started = time.monotonic()
    result = send(server.url("/drip-body"), BODY, HEADERS, allow_private=True, timeout=5)

    assert time.monotonic() - started < 1.5
    assert (result.http_status, result.error) == (200, None)


def test_a_refused_connection_is_an_error_without_status():
    result = send(f"http://127.0.0.1:{free_port()}/hook", BODY, HEADERS, allow_private=True)
    assert result.http_status is None
    assert result.error == "connection refused"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("https://127.0.0.1:{port}/ok", "unsafe url: resolves to a private address"),
        ("https://metadata.example:{port}/ok", "unsafe url: resolves to a private address"),
        ("https://mixed.example:{port}/ok", "unsafe url: resolves to a private address"),
        ("http://127.0.0.1:{port}/ok", "unsafe url: url must use https"),
        ("https://nowhere.example:{port}/ok", "unsafe url: host does not resolve"),
    ],
)
def test_an_unsafe_url_is_never_connected_to(server, url, error):
    resolve = resolver({"metadata.example": ["169.254.169.254"], "mixed.example": [PUBLIC, "127.0.0.1"]})
    result = send(url.format(port=server.port), BODY, HEADERS, allow_private=False, resolve=resolve)

    assert result.http_status is None
    assert result.error == error
    assert server.connections == 0


def test_an_error_never_quotes_a_header_or_the_body(server):
    headers = {**HEADERS, "webhook-signature": "v1,s3cr3t-signature\r\nX-Injected: yes"}
    result = send(server.url("/ok"), b"secret-body", headers, allow_private=True)

    assert result.http_status is None
    assert result.error is not None
    assert "s3cr3t" not in result.error and "secret-body" not in result.error
    assert server.requests == []  # nothing was sent: no header injection


def test_dns_rebinding_connects_only_to_the_address_checked(server):
    """The name answers 127.0.0.1 (the merchant's server) once, then 127.0.0.2, where nothing listens:
    a sender that looked the name up again, through this resolver or the system's (which does not know
    the name), would fail to deliver."""
    answers = iter([["127.0.0.1"], ["127.0.0.2"]])
    calls = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    result = send(f"http://rebind.test:{server.port}/ok", BODY, HEADERS, allow_private=True, resolve=rebinding)

    assert result.http_status == 200
    assert calls == ["rebind.test"]
    [request] = server.requests
    assert dict(request["headers"])["Host"] == f"rebind.test:{server.port}"


def test_dns_rebinding_to_a_private_address_in_deployed_mode(server, monkeypatch):
    """First answer public (approved), every later one 127.0.0.1: the only connection attempted is to the
    public address. No real connection is made: connect is replaced by one that records and refuses."""
    answers = iter([[PUBLIC], ["127.0.0.1"], ["127.0.0.1"]])
    calls = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    attempts = []

    def refuse(sock: socket.socket, address: Any) -> None:
        attempts.append(address[:2])
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    result = send("https://merchant.example:8443/ok", BODY, HEADERS, allow_private=False, resolve=rebinding)

    assert attempts == [(PUBLIC, 8443)]
    assert calls == ["merchant.example"]
    assert result.error == "connection refused"
    assert server.connections == 0


# --- TLS: the connection goes to the address, the certificate is checked against the name -------------


@dataclass
class Certificates:
    ca: Path
    context: Callable[[], ssl.SSLContext]  # a server context with the leaf for merchant.example


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name("Test CA"))
        .issuer_name(name("Test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(ca_usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf_usage = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name("merchant.example"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("merchant.example")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(leaf_usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (folder / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (folder / "leaf.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )

    def context() -> ssl.SSLContext:
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(folder / "leaf.pem", folder / "leaf.key")
        return server_context

    return Certificates(folder / "ca.pem", context)


@pytest.fixture
def tls_server(certificates: Certificates) -> Iterator[Server]:
    state, httpd = serve(certificates.context())
    yield state
    stop(state, httpd)


LOCAL = resolver({"merchant.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]})


def test_https_goes_to_the_checked_address_with_sni_and_verification_for_the_name(
    tls_server, certificates, monkeypatch
):
    monkeypatch.setattr(sender.certifi, "where", lambda: str(certificates.ca))  # trust the test CA
    result = send(tls_server.url("/ok", host="merchant.example"), BODY, HEADERS, allow_private=True, resolve=LOCAL)

    assert (result.http_status, result.error) == (200, None)
    assert tls_server.server_names == ["merchant.example"]
    [request] = tls_server.requests
    assert request["body"] == BODY
    assert dict(request["headers"])["Host"] == f"merchant.example:{tls_server.port}"


def test_https_refuses_a_certificate_for_another_name(tls_server, certificates, monkeypatch):
    monkeypatch.setattr(sender.certifi, "where", lambda: str(certificates.ca))
    result = send(tls_server.url("/ok", host="other.example"), BODY, HEADERS, allow_private=True, resolve=LOCAL)

    assert result.http_status is None
    assert result.error is not None and result.error.startswith("tls error")
    assert tls_server.requests == []


def test_https_refuses_a_certificate_from_an_unknown_authority(tls_server):
    result = send(tls_server.url("/ok", host="merchant.example"), BODY, HEADERS, allow_private=True, resolve=LOCAL)

    assert result.http_status is None
    assert result.error == "tls error: certificate verify failed"
    assert tls_server.requests == []
