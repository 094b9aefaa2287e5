"""Switching plugins on and off. Billing charges paid plugins pro rata from the ledger's
`plugin_enabled` / `plugin_disabled` events."""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.events import PluginDisabled, PluginEnabled
from analytics.ledger import record_event
from commerce.plugins.models import PluginState
from commerce.plugins.registry import REGISTRY


def _spec(key: str):
    if key not in REGISTRY:
        raise ValidationError({"plugin": [_("Unknown plugin.")]})
    return REGISTRY[key]


@transaction.atomic
def enable_plugin(key: str, *, actor: str) -> PluginState:
    spec = _spec(key)
    state, _created = PluginState.objects.select_for_update().get_or_create(key=key)
    if state.enabled:
        return state
    state.enabled = True
    state.enabled_at = timezone.now()
    state.save(update_fields=["enabled", "enabled_at"])
    record_event(
        merchant=connection.tenant,
        event=PluginEnabled(
            plugin=key,
            monthly_price=spec.monthly_price,
            currency=connection.tenant.currency,
            actor=actor,
        ),
        idempotency_key=f"{connection.schema_name}:plugin:{key}:on:{state.enabled_at.isoformat()}",
        occurred_at=state.enabled_at,
    )
    return state


@transaction.atomic
def disable_plugin(key: str, *, actor: str) -> PluginState:
    _spec(key)
    state = PluginState.objects.select_for_update().filter(key=key).first()
    if state is None or not state.enabled:
        raise ValidationError({"plugin": [_("This plugin is not switched on.")]})
    state.enabled = False
    state.disabled_at = timezone.now()
    state.save(update_fields=["enabled", "disabled_at"])
    record_event(
        merchant=connection.tenant,
        event=PluginDisabled(plugin=key, actor=actor),
        idempotency_key=f"{connection.schema_name}:plugin:{key}:off:{state.disabled_at.isoformat()}",
        occurred_at=state.disabled_at,
    )
    return state
