"""The onboarding sweep over 10,000 merchants' journeys (goal: <= 30 s; 300 at
`BENCH_SCALE=smoke`), measured by bench/_onboarding_sweep_worker.py on a database of its
own: its merchants are public rows without schemas (the sweep never reads one), which must
not sit in the bench database, where `migrate_fast` would take each for a schema behind and
build it, and the other benches would count them.

Last line: `RESULT onboarding_sweep_s=… merchants=10000`.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from devstack.services import ensure_database, with_database  # noqa: E402


def main() -> int:
    bench_database = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
    url = with_database(os.environ["DATABASE_URL"], f"{bench_database}_onboarding")
    ensure_database(url)
    return subprocess.call(
        [sys.executable, str(BENCH_DIR / "_onboarding_sweep_worker.py")],
        env={**os.environ, "DATABASE_URL": url},
    )


if __name__ == "__main__":
    sys.exit(main())
