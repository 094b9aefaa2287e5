"""Shared start-up for the bench scripts: Django set up, seeded merchants, percentiles."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django

django.setup()


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
