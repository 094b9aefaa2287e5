"""Shop addresses (`<slug>.<SHOP_DOMAIN>`): which words are reserved, and when two addresses
look too much alike to both exist.

A slug is refused when it is a word the platform routes (every first path segment of both
URLconfs, read from the resolver so that a new route is reserved the day it ships) or a
mail/DNS/infrastructure name; and when its *skeleton* equals the skeleton of a reserved
word or of an existing shop. The skeleton is what a reader sees: hyphens gone, letters that
Unicode lists as confusable with a Latin letter replaced by it (confusable_homoglyphs), and
digits read as the letters they pass for (0/o, 1/l/i, 5/s, ...). `Merchant.slug_skeleton` is
unique in the database, so two concurrent signups cannot both take look-alikes.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from confusable_homoglyphs import confusables
from django.conf import settings
from django.urls import URLResolver, get_resolver

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
RESERVED_PREFIXES = ("m-", "xn--")  # m- names our schemas; xn-- is IDNA's punycode

# Names a platform needs for mail, DNS, infrastructure and its own pages, routed or not.
INFRASTRUCTURE_NAMES = frozenset(
    """
    www www1 www2 mail email smtp imap pop pop3 ftp sftp ssh vpn ns mx dns dkim spf dmarc
    autoconfig autodiscover localhost local host hostmaster postmaster webmaster abuse noc
    security secure ssl tls cert certs api apis graphql rest rpc ws wss admin administrator
    root sysadmin console dashboard manage manager panel control support help helpdesk faq
    contact status statuspage health healthz ping metrics monitor docs doc wiki blog news
    press about legal terms privacy cdn assets asset static media img images files upload
    uploads download downloads billing invoice invoices pay payment payments checkout cart
    stripe paypal alipay wechat wechatpay bank wallet accounts account auth oauth oauth2
    openid sso saml login logout signin signout signup register join password reset verify
    webhook webhooks callback callbacks hooks i18n l10n shop shops store stores app apps
    platform public private system internal intranet staff team teams dev develop staging
    stage test testing demo sandbox beta preview prod production template tenant tenants
    merchant merchants official service services mobile
    """.split()
) | {f"ns{number}" for number in range(1, 10)}

# Digits (and letters) read as the letter they pass for. Kept one-to-one on digits so that
# numbered shops (`shop-6`, `shop-8`) never collide with each other.
LOOKALIKE_LETTERS = str.maketrans(
    {"0": "o", "1": "l", "i": "l", "2": "z", "3": "e", "4": "a", "5": "s", "6": "b", "7": "t"}
    | {"9": "g"}
)
LOOKALIKE_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))


def _first_segments(patterns) -> set[str]:
    """First path segments of `patterns`, descending into includes mounted at the root."""
    segments: set[str] = set()
    for pattern in patterns:
        route = str(pattern.pattern).lstrip("^")
        head = re.split(r"[/<(\\\[?$.]", route, maxsplit=1)[0].lower()
        if head:
            segments.add(head)
        elif isinstance(pattern, URLResolver):
            segments |= _first_segments(pattern.url_patterns)
    return segments


@functools.cache
def routed_words() -> frozenset[str]:
    """Every first path segment either URLconf routes (static and media included)."""
    words: set[str] = set()
    for urlconf in (settings.PUBLIC_SCHEMA_URLCONF, settings.ROOT_URLCONF):
        words |= _first_segments(get_resolver(urlconf).url_patterns)
    for url in (settings.STATIC_URL, settings.MEDIA_URL):
        words |= {segment for segment in url.strip("/").split("/")[:1] if segment}
    words.add("bench")  # routed when BENCH_VIEWS is on
    return frozenset(words)


@functools.cache
def reserved_skeletons() -> frozenset[str]:
    return frozenset(slug_skeleton(word) for word in routed_words() | INFRASTRUCTURE_NAMES)


def _latin_lookalike(character: str) -> str:
    """`character`, or the ASCII letter/digit it is confusable with (é → e, the Cyrillic ie → e)."""
    if character.isascii():
        return character
    for homoglyph in confusables.confusables_data.get(character, ()):
        candidate = homoglyph["c"].strip("\u200e").lower()
        if len(candidate) == 1 and candidate.isascii() and candidate.isalnum():
            return candidate
    stripped = "".join(
        part for part in unicodedata.normalize("NFKD", character) if not unicodedata.combining(part)
    )
    return stripped if stripped.isascii() else character


def slug_skeleton(slug: str) -> str:
    """What `slug` looks like: `Tea--H0use`, `tea-h0use` and `teahouse` all give `teahouse`."""
    text = unicodedata.normalize("NFKC", slug).casefold()
    text = "".join(_latin_lookalike(character) for character in text)
    text = re.sub(r"[^a-z0-9]", "", text.lower()).translate(LOOKALIKE_LETTERS)
    for pair, letter in LOOKALIKE_PAIRS:
        text = text.replace(pair, letter)
    return text


def confusable_characters(slug: str) -> list[str]:
    """The characters of `slug` that only pose as Latin letters or digits (the Cyrillic ie, …)."""
    found = confusables.is_confusable(slug, greedy=True, preferred_aliases=["latin", "common"])
    return [entry["character"] for entry in found or ()]


def is_reserved(slug: str) -> bool:
    return (
        slug in routed_words()
        or slug in INFRASTRUCTURE_NAMES
        or slug.startswith(RESERVED_PREFIXES)
        or slug_skeleton(slug) in reserved_skeletons()
    )
