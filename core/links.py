"""Which stored links a page may follow. A link written earlier and kept in a row (a
notice's) is followed only when it stays on our own hosts: a path on the host being
browsed, or an http(s) URL whose host (and port) is one the caller names. Anything else
(`javascript:`, `data:`, `//elsewhere`, another host, a backslash, whitespace or control
characters anywhere, which browsers strip or reinterpret) is not a link at all."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

MAX_LINK_LENGTH = 2000


def _plain(link: str) -> bool:
    """No whitespace, control character or backslash anywhere (browsers drop the first two
    and read a backslash as a slash: `/\\evil.test` would leave the host)."""
    return not any(char.isspace() or ord(char) < 32 or char in "\\\x7f" for char in link)


def followable(link: str, hosts: Collection[str] = ()) -> str:
    """`link` when it is safe to follow, else "".

    Safe: a path on the current host (starts with one "/"), or an http/https URL without
    user info whose `host[:port]` is one of `hosts` (compared lower-case, exactly)."""
    if not link or len(link) > MAX_LINK_LENGTH or not _plain(link):
        return ""
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError:  # a port out of range, an unbalanced IPv6 bracket
        return ""
    if not parts.scheme and not parts.netloc:
        return link if link.startswith("/") and not link.startswith("//") else ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    if parts.username is not None or parts.password is not None:
        return ""
    netloc = parts.hostname.lower() + (f":{port}" if port is not None else "")
    return link if netloc in {host.lower() for host in hosts} else ""
