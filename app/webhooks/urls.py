"""Which webhook URLs may be called: public https addresses only, unless the setting allows more.

A webhook makes the server send requests to a URL a customer chose; without this check anyone
who can register one could reach the service's own network (SSRF: cloud metadata at
169.254.169.254, databases on 10.x, admin ports on 127.0.0.1). The host is resolved and every
address it resolves to must be global; the check runs at registration and again before every
attempt, because DNS answers change. Redirects are never followed.

Two holes closed here:

* IPv6 addresses that carry an IPv4 address inside (IPv4-mapped ``::ffff:a.b.c.d``,
  IPv4-compatible ``::a.b.c.d``, IPv4-translated ``::ffff:0:a.b.c.d``, NAT64
  ``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo ``2001::/32``) reach that IPv4 address
  through a translator; Python calls several of them global, so the embedded address is
  checked as well.
* A name checked by one DNS lookup and connected to after another can point somewhere else the
  second time (DNS rebinding). :func:`guarded_client` checks the peer address of the socket it
  actually opened, before a byte is sent; the lookup in :func:`check_url` only gives early,
  readable refusals at registration.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from app.core.settings import Settings

# Prefixes whose last 32 bits are an IPv4 address a translator forwards to: NAT64 (RFC 6052,
# RFC 8215) and the SIIT IPv4-translated form (RFC 2765).
_TRANSLATED = tuple(
    ipaddress.ip_network(prefix) for prefix in ("64:ff9b::/96", "64:ff9b:1::/48", "::ffff:0:0:0/96")
)
_LOW_32_BITS = 0xFFFFFFFF


class UnsafeUrl(ValueError):
    """The URL may not be called: wrong scheme, credentials in it, or a non-public address."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses a translator or tunnel would reach for ``ip`` (RFC 4291 §2.5.5,
    RFC 6052 §2.1, RFC 2765 §2.1, RFC 3056 §2, RFC 4380 §4)."""
    embedded: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        embedded.append(ip.ipv4_mapped)
    if int(ip) >> 32 == 0:  # IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks)
        embedded.append(ipaddress.IPv4Address(int(ip) & _LOW_32_BITS))
    if any(ip in network for network in _TRANSLATED):
        embedded.append(ipaddress.IPv4Address(int(ip) & _LOW_32_BITS))
    if ip.sixtofour is not None:
        embedded.append(ip.sixtofour)
    if ip.teredo is not None:
        embedded.extend(ip.teredo)
    return embedded


def refused_address(address: str) -> bool:
    """Whether ``address`` (an IP literal) is one deliveries must never reach."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        candidates.extend(_embedded_ipv4(ip))
    return any(not c.is_global or c.is_multicast for c in candidates)


_refused = refused_address


def check_url(url: str, settings: Settings) -> None:
    """Raise :class:`UnsafeUrl` (with the reason) unless ``url`` may receive deliveries."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"not a valid URL: {exc}") from None
    allowed_schemes = ("https", "http") if settings.webhook_allow_private else ("https",)
    if parts.scheme not in allowed_schemes:
        raise UnsafeUrl(f"the URL must use {' or '.join(allowed_schemes)}")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("the URL must not carry credentials; the signature authenticates us")
    try:
        infos = socket.getaddrinfo(
            parts.hostname,
            port or (443 if parts.scheme == "https" else 80),
            type=socket.SOCK_STREAM,
        )
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"host '{parts.hostname}' cannot be resolved ({exc})") from None
    if settings.webhook_allow_private:
        return
    for info in infos:
        address = str(info[4][0])
        if _refused(address):
            raise UnsafeUrl(
                f"host '{parts.hostname}' resolves to {address}, which is not a public address"
            )


class _PublicPeerBackend(httpcore.SyncBackend):
    """Opens TCP connections as usual, then refuses any whose peer is not a public address:
    the check applies to the address connected to, whatever DNS answered this time."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = super().connect_tcp(host, port, timeout, local_address, socket_options)
        peer = str(stream.get_extra_info("server_addr")[0])
        if refused_address(peer):
            stream.close()
            raise httpcore.ConnectError(
                f"refused: host '{host}' connected to {peer}, which is not a public address"
            )
        return stream


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport whose connections only reach public addresses (no proxies from the
    environment either: a transport given to a client disables them)."""

    def __init__(self, *, verify: ssl.SSLContext | str | bool = True) -> None:
        super().__init__(verify=verify)
        # httpx has no public way to pass a network backend; the pool it built is replaced by an
        # equal one with the checking backend (the pool is all HTTPTransport keeps besides).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            network_backend=_PublicPeerBackend(),
        )


def guarded_client(
    settings: Settings, *, timeout: float, verify: ssl.SSLContext | str | bool = True
) -> httpx.Client:
    """The client for every request to a customer-chosen URL (webhooks, PACT callbacks):
    redirects are not followed, and unless ``webhook_allow_private`` only public peers are
    reached."""
    if settings.webhook_allow_private:
        transport: httpx.HTTPTransport = httpx.HTTPTransport(verify=verify)
    else:
        transport = GuardedTransport(verify=verify)
    return httpx.Client(
        transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
    )
