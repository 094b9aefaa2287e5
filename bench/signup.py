"""Signup to usable shop (schema, merchant, domain, owner, membership), with 10 and with
1,000 existing merchants, the schema pool warm and empty. The owner's password hashing is
measured apart (it is deliberately slow and runs before the service).

Last line: `RESULT signup_p50_ms=… signup_p95_ms=… merchants=1000` (pool warm; goal p50 ≤ 100 ms).
At `BENCH_SCALE=smoke`: 10 merchants only, four signups each.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _setup import delete_merchants, ensure_merchants, percentile, sized
from django.contrib.auth.hashers import make_password
from django.db import connection

from accounts.models import User
from config.celery import app as celery_app
from onboarding.signup import open_merchant
from tenants import schemas
from tenants.models import Merchant, PooledSchema

SIGNUPS = sized(40, 4)
WARMUP = sized(5, 1)
# Smoke: one level on the bench database (the fresh database of the small level costs a
# whole migration; CI's fresh bench database runs that path anyway).
LEVELS = sized((10, 1000), (10,))
HASHES = sized(5, 1)


def measure(label: str, *, warm_pool: bool) -> list[float]:
    password_hash = make_password("bench-pass-2026")
    timings = []
    for number in range(WARMUP + SIGNUPS):
        if warm_pool:
            schemas.refill_schema_pool(3)
        slug = f"measured-{label}-{number}"
        started = time.perf_counter()
        open_merchant(
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
    # Their subscriptions, journeys and ledger rows go too (the schemas are dropped above).
    delete_merchants(Merchant.objects.filter(slug__startswith="measured-"))
    User.objects.filter(email__startswith="owner@measured-").delete()
    celery_app.control.purge()


def report(level: int, pool: str, timings: list[float]) -> tuple[float, float]:
    p50, p95 = percentile(timings, 0.50), percentile(timings, 0.95)
    print(f"signup with {level:>5} merchants, pool {pool:<5}: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
    return p50, p95


def measure_level(level: int) -> dict:
    """Runs in a child process whose DATABASE_URL names the database for this level."""
    clean_up()
    count = ensure_merchants(level)
    results = {"merchants": count}
    for pool, warm in (("warm", True), ("empty", False)):
        results[pool] = measure(f"{level}{pool}", warm_pool=warm)
        clean_up()
    return results


def database_for_level(level: int) -> str:
    """The bench database for 1,000 merchants is kept between runs; the 10-merchant one is
    made afresh each time (a database of its own, so the two levels really differ)."""
    url = os.environ["DATABASE_URL"]
    if level == LEVELS[-1]:
        return url
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{level}"
    fresh = urlunsplit(parts._replace(path=f"/{name}"))
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": fresh}
    subprocess.run([sys.executable, "manage.py", "migrate_fast", "-v", "0"], env=env, check=True)
    return fresh


def main() -> None:
    level = os.environ.get("SIGNUP_LEVEL")
    if level:
        print("SIGNUP_JSON " + json.dumps(measure_level(int(level))))
        return

    hashing = []
    for _ in range(HASHES):
        started = time.perf_counter()
        make_password("a-long-unusual-passphrase")
        hashing.append((time.perf_counter() - started) * 1000)
    print(f"owner password hashing (PBKDF2, apart): p50 {percentile(hashing, 0.5):.1f} ms")

    results = {}
    for level in LEVELS:
        env = {**os.environ, "SIGNUP_LEVEL": str(level), "DATABASE_URL": database_for_level(level)}
        child = subprocess.run(
            [sys.executable, __file__],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        line = next(x for x in child.stdout.splitlines() if x.startswith("SIGNUP_JSON "))
        measured = json.loads(line.removeprefix("SIGNUP_JSON "))
        for pool in ("warm", "empty"):
            results[(level, pool)] = report(measured["merchants"], pool, measured[pool])
    p50, p95 = results[(LEVELS[-1], "warm")]
    print("goal: p50 <= 100 ms at 1,000 merchants")
    print(f"RESULT signup_p50_ms={p50:.1f} signup_p95_ms={p95:.1f} merchants={LEVELS[-1]}")


if __name__ == "__main__":
    main()
