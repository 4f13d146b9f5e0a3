"""Where a webhook may go: the merchant chooses the URL, so everything about it is treated as hostile
(SSRF, see paygate.webhooks.sender). `check_url` refuses any URL whose host resolves to an address that is
not globally routable: private, loopback, link-local (the metadata address among them), unique-local,
multicast, reserved, unspecified, shared (100.64/10), and IPv6 forms that embed such an IPv4 address
(`::ffff:127.0.0.1`). One bad answer among several refuses the URL, since any of them could be the one
connected to. Odd IPv4 spellings (`2130706433`, `0x7f.1`, `017700000001`) are resolved through
`getaddrinfo`, which normalizes them, so the check sees the real address. Only `https` is accepted, on
the web's ports (443, 8443, 80), with no credentials in the URL. `allow_private=True` is the local
development mode: `http`, every address and every port."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"https": 443, "http": 80}
WEB_PORTS = (443, 8443, 80)


class UnsafeUrl(ValueError):
    """The URL may not be delivered to; the message says why (shown to the merchant at registration)."""


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, IPv4 and IPv6, in the system's order, without duplicates."""
    answers = socket.getaddrinfo(host, port, family=socket.AF_UNSPEC, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in answers))


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # ASCII (IDNA), without brackets: what is resolved, sent as SNI and verified
    port: int
    host_header: str
    path: str  # path and query, never empty


def _parse(url: str, *, allow_private: bool) -> Target:
    if any(character <= " " or character == "\x7f" for character in url):
        raise UnsafeUrl("url contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeUrl("url is not valid") from error
    scheme = parts.scheme.lower()
    if scheme != "https" and not (allow_private and scheme == "http"):
        raise UnsafeUrl("url must use https")
    if "@" in parts.netloc:
        raise UnsafeUrl("url must not carry credentials")
    if not parts.hostname:
        raise UnsafeUrl("url has no host")
    if not (parts.path + parts.query).isascii():
        raise UnsafeUrl("url path must be ASCII (percent-encoded)")
    if port == 0:
        raise UnsafeUrl("url has an invalid port")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise UnsafeUrl("url has an invalid host") from error
    is_ipv6 = ":" in host
    host_header = f"[{host}]" if is_ipv6 else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host_header = f"{host_header}:{port}"
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, host, port or DEFAULT_PORTS[scheme], host_header, path)


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _is_public(address.ipv4_mapped)  # ::ffff:a.b.c.d is the IPv4 address itself
    if (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast  # is_global holds for some multicast ranges (224.0.0.1, ff0e::1)
        or address.is_reserved  # also ::/8: the IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::) forms
        or address.is_unspecified
    ):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:  # fec0::/10, deprecated but still not public
            return False
        embedded = address.sixtofour  # 2002:a.b.c.d::/48 carries an IPv4 address too
        if embedded is not None and not _is_public(embedded):
            return False
    return True


def checked(url: str, *, allow_private: bool, resolve: Callable[[str, int], list[str]]) -> tuple[Target, list[str]]:
    target = _parse(url, allow_private=allow_private)
    try:
        literal = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = list(resolve(target.host, target.port))
        except (OSError, UnicodeError) as error:  # socket.gaierror is an OSError
            raise UnsafeUrl("host does not resolve") from error
    if not addresses:
        raise UnsafeUrl("host does not resolve")
    if not allow_private:
        for address in addresses:
            try:
                parsed = ipaddress.ip_address(address)
            except ValueError as error:
                raise UnsafeUrl("host resolves to an invalid address") from error
            if not _is_public(parsed):
                raise UnsafeUrl("resolves to a private address")
        if target.port not in WEB_PORTS:
            # A public host's other ports are other services' (SSH, SMTP, Redis): a webhook is not for them.
            raise UnsafeUrl(f"url port must be one of {', '.join(map(str, WEB_PORTS))}")
    return target, addresses


def check_url(url: str, *, allow_private: bool, resolve: Callable[[str, int], list[str]] = resolve_host) -> list[str]:
    """Raise UnsafeUrl unless the URL may be delivered to; return the addresses it resolves to."""
    return checked(url, allow_private=allow_private, resolve=resolve)[1]
