"""Where a webhook may go: public addresses only (SSRF).

An endpoint's host is resolved when the merchant saves it and again at every delivery, and
the request is sent to the address that was checked (the connection is pinned to it, with
the URL's host name in the Host header and for TLS), so a DNS answer that changes between
the check and the connection (rebinding) cannot reach an internal address. Refused:
loopback, private, link-local (the cloud metadata service at 169.254.169.254 among them),
shared (100.64/10), multicast, reserved and unspecified ranges, in IPv4 and IPv6 (and IPv4
mapped into IPv6). `WEBHOOK_ALLOW_LOOPBACK` (tests only, never in production) lets loopback
addresses and plain http to them through, so tests can run a real receiver.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class UnsafeAddress(Exception):
    pass


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL, for the Host header and TLS
    port: int
    path: str  # path and query
    address: str  # the checked IP the connection goes to


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if settings.WEBHOOK_ALLOW_LOOPBACK and address.is_loopback:
        return True
    return address.is_global and not address.is_multicast


def resolve_target(url: str) -> Target:
    """The checked target of a webhook URL, or UnsafeAddress saying why not."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeAddress(_("Enter a valid URL.")) from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeAddress(_("Enter an https:// URL."))
    if parts.username or parts.password:
        raise UnsafeAddress(_("The URL cannot carry a user name or password."))
    try:
        infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise UnsafeAddress(_("The host %(host)s cannot be resolved.") % {"host": host}) from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeAddress(_("The host %(host)s cannot be resolved.") % {"host": host})
    if not all(_is_public(address) for address in addresses):
        raise UnsafeAddress(
            _(
                "The URL points to a private or internal address; webhooks go to public addresses only."
            )
        )
    if parts.scheme == "http" and not (
        settings.WEBHOOK_ALLOW_LOOPBACK and all(address.is_loopback for address in addresses)
    ):
        raise UnsafeAddress(_("Enter an https:// URL."))
    default_port = 443 if parts.scheme == "https" else 80
    return Target(
        scheme=parts.scheme,
        host=host,
        port=port or default_port,
        path=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
        address=str(addresses[0]),
    )
