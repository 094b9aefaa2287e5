"""Every URL pattern of a URLconf, found by walking its resolver: the sweeps that must cover
a new URL without anyone editing them (isolation, hostile input) start here."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str
    params: tuple[tuple[str, object], ...]  # (name, converter or None)


def routes(urlconf: str, *, skip_namespaces: tuple[str, ...] = ()) -> list[Route]:
    """Every named URL pattern; `skip_namespaces` leaves out included apps (Django's admin
    has unnamed patterns of its own)."""
    found: list[Route] = []

    def walk(patterns, namespace: str, params: tuple) -> None:
        for pattern in patterns:
            converters = getattr(pattern.pattern, "converters", {})
            own = tuple((name, converters.get(name)) for name in pattern.pattern.regex.groupindex)
            if isinstance(pattern, URLResolver):
                if pattern.namespace in skip_namespaces:
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner, params + own)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"Unnamed URL {pattern.pattern} in {urlconf}: name it"
                found.append(Route(f"{namespace}{pattern.name}", params + own))

    walk(get_resolver(urlconf).url_patterns, "", ())
    return found
