"""Shared start-up for the bench scripts: Django set up, seeded merchants, percentiles."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django

django.setup()

from _scale import SCALE, SMOKE, seconds, sized  # noqa: E402, F401  (one import for benches)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ensure_merchants(count: int, prefix: str = "benchseed") -> int:
    """At least `count` merchants exist (seeded once with the bulk command; kept between runs)."""
    from django.core.management import call_command

    from tenants.models import Merchant

    existing = Merchant.objects.exclude(schema_name="public").count()
    if existing < count:
        call_command("create_merchants", count, prefix=prefix)
    return Merchant.objects.exclude(schema_name="public").count()


def delete_merchants(merchants) -> None:
    """Delete merchant rows and every public row that points at them, whatever the apps add
    later: each PROTECT/RESTRICT that refuses the delete names the rows in its way, which are
    deleted first (the same way, recursively). Schemas are not touched here."""
    from django.db.models import ProtectedError, RestrictedError

    for _attempt in range(50):
        try:
            merchants.delete()
            return
        except (ProtectedError, RestrictedError) as refused:
            blocking = (
                refused.protected_objects
                if isinstance(refused, ProtectedError)
                else refused.restricted_objects
            )
            by_model: dict[type, list] = {}
            for row in blocking:
                by_model.setdefault(type(row), []).append(row.pk)
            for model, pks in by_model.items():
                delete_merchants(model._base_manager.filter(pk__in=pks))
    raise RuntimeError(f"could not delete {merchants.model.__name__} rows")
