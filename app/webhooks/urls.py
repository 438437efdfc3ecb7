"""Which webhook URLs may be called: public https addresses only, unless the setting allows more.

A webhook makes the server send requests to a URL a customer chose; without this check anyone
who can register one could reach the service's own network (SSRF: cloud metadata at
169.254.169.254, databases on 10.x, admin ports on 127.0.0.1). The host is resolved and every
address it resolves to must be global; the check runs at registration and again before every
attempt, because DNS answers change. Redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from app.webhooks.settings import WebhookSettings


class UnsafeUrl(ValueError):
    """The URL may not be called: wrong scheme, credentials in it, or a non-public address."""


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_url(url: str, settings: WebhookSettings) -> None:
    """Raise :class:`UnsafeUrl` (with the reason) unless ``url`` may receive deliveries."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"not a valid URL: {exc}") from None
    allowed_schemes = ("https", "http") if settings.allow_private else ("https",)
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
    if settings.allow_private:
        return
    for info in infos:
        address = str(info[4][0])
        if _refused(address):
            raise UnsafeUrl(
                f"host '{parts.hostname}' resolves to {address}, which is not a public address"
            )
