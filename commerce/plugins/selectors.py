from dataclasses import dataclass

from django.urls import reverse

from commerce.cache import remember
from commerce.plugins.models import PluginState, plugin_state_key
from commerce.plugins.registry import REGISTRY, ConsoleNotice, PluginSpec


@dataclass(frozen=True)
class PluginRow:
    spec: PluginSpec
    state: PluginState | None
    notice: ConsoleNotice | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.state and self.state.enabled)

    @property
    def console_url(self) -> str:
        """The plugin's console page (its "console" hook), while it is on."""
        if not self.enabled or "console" not in self.spec.handlers:
            return ""
        return reverse(self.spec.handlers["console"])


def plugins_for_console(notices: dict[str, ConsoleNotice] | None = None) -> list[PluginRow]:
    states = {state.key: state for state in PluginState.objects.filter(key__in=REGISTRY)}
    notices = notices or {}
    return [
        PluginRow(spec=spec, state=states.get(key), notice=notices.get(key))
        for key, spec in REGISTRY.items()
    ]


def is_enabled(key: str) -> bool:
    """Read on every storefront page that can show a plugin block: from the short-lived
    cache (commerce.cache), dropped whenever a PluginState is saved."""
    return remember(
        plugin_state_key(key), lambda: PluginState.objects.filter(key=key, enabled=True).exists()
    )
