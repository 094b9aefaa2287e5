"""Signup to usable shop (schema, merchant, domain, owner, membership), with 10 and with
1,000 existing merchants, the schema pool warm and empty. The owner's password hashing is
measured apart (it is deliberately slow and runs before the service).

Last line: `RESULT signup_p50_ms=… signup_p95_ms=… merchants=1000` (pool warm; goal p50 ≤ 100 ms).
"""

import time

from _setup import ensure_merchants, percentile
from django.contrib.auth.hashers import make_password
from django.db import connection

from accounts.models import User
from config.celery import app as celery_app
from tenants import schemas
from tenants.models import Merchant, PooledSchema
from tenants.services import open_shop

SIGNUPS = 40
WARMUP = 5


def measure(label: str, *, warm_pool: bool) -> list[float]:
    password_hash = make_password("bench-pass-2026")
    timings = []
    for number in range(WARMUP + SIGNUPS):
        if warm_pool:
            schemas.refill_schema_pool(3)
        slug = f"measured-{label}-{number}"
        started = time.perf_counter()
        open_shop(
            shop_name=f"Measured {number}",
            slug=slug,
            owner_email=f"owner@{slug}.test",
            owner_password_hash=password_hash,
        )
        elapsed = (time.perf_counter() - started) * 1000
        if number >= WARMUP:
            timings.append(elapsed)
    return timings


def clean_up() -> None:
    """Remove what the measurement made, so that every run starts equal."""
    measured = Merchant.objects.filter(slug__startswith="measured-")
    names = list(measured.values_list("schema_name", flat=True))
    names += list(PooledSchema.objects.values_list("schema_name", flat=True))
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    PooledSchema.objects.all().delete()
    for merchant in measured:
        merchant.domains.all().delete()
        merchant.memberships.all().delete()
        merchant.delete(force_drop=False)
    User.objects.filter(email__startswith="owner@measured-").delete()
    celery_app.control.purge()


def report(level: int, pool: str, timings: list[float]) -> tuple[float, float]:
    p50, p95 = percentile(timings, 0.50), percentile(timings, 0.95)
    print(f"signup with {level:>5} merchants, pool {pool:<5}: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
    return p50, p95


def main() -> None:
    hashing = []
    for _ in range(5):
        started = time.perf_counter()
        make_password("a-long-unusual-passphrase")
        hashing.append((time.perf_counter() - started) * 1000)
    print(f"owner password hashing (PBKDF2, apart): p50 {percentile(hashing, 0.5):.1f} ms")

    clean_up()
    results = {}
    for level in (10, 1000):
        count = ensure_merchants(level)
        for pool, warm in (("warm", True), ("empty", False)):
            results[(level, pool)] = report(count, pool, measure(f"{level}{pool}", warm_pool=warm))
            clean_up()
    p50, p95 = results[(1000, "warm")]
    print("goal: p50 <= 100 ms at 1,000 merchants")
    print(f"RESULT signup_p50_ms={p50:.1f} signup_p95_ms={p95:.1f} merchants=1000")


if __name__ == "__main__":
    main()
