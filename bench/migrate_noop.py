"""A no-op deploy migration across 1,000 merchants: `manage.py migrate_fast` as a deploy runs
it (wall time, Django start-up included), the staleness check alone, and stock
`migrate_schemas` per schema for contrast (timed on 20 schemas, extrapolated).

Last line: `RESULT migrate_noop_s=… merchants=1000` (goal ≤ 5 s; 10 merchants at
`BENCH_SCALE=smoke`).
"""

import subprocess
import sys
import time
from pathlib import Path

from _setup import ensure_merchants, sized
from django.core.management import call_command

from tenants import schemas
from tenants.models import Merchant

PROJECT_DIR = Path(__file__).resolve().parent.parent


def main() -> None:
    count = ensure_merchants(sized(1000, 10))
    names = schemas.all_tenant_schema_names()

    started = time.perf_counter()
    stale = schemas.stale_schemas(names)
    check_s = time.perf_counter() - started
    print(f"staleness check over {len(names)} schemas: {check_s:.3f} s ({len(stale)} stale)")

    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "migrate_fast", "--verbosity", "1"],
        cwd=PROJECT_DIR,
        check=True,
    )
    noop_s = time.perf_counter() - started

    sample = list(
        Merchant.objects.exclude(schema_name="public").values_list("schema_name", flat=True)[
            : sized(20, 2)
        ]
    )
    started = time.perf_counter()
    for name in sample:
        call_command(
            "migrate_schemas", schema_name=name, tenant=True, interactive=False, verbosity=0
        )
    per_schema = (time.perf_counter() - started) / len(sample)
    print(
        f"stock migrate_schemas: {per_schema * 1000:.0f} ms per schema "
        f"(extrapolated to {count} merchants: {per_schema * count:.0f} s)"
    )
    print(f"migrate_fast, nothing to do, {count} merchants: {noop_s:.2f} s (goal <= 5 s)")
    print(f"RESULT migrate_noop_s={noop_s:.2f} merchants={count}")


if __name__ == "__main__":
    main()
