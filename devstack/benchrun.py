"""`make bench`: every benchmark under bench/, on a database of its own.

Each bench prints its figures and a last line `RESULT name=value ...`; a bench that exits
non-zero or prints no RESULT line fails the run. Extra arguments name benches to run
(`make bench ARGS="signup checkout"`); `--fresh` drops the bench databases first (seeds are
kept between runs otherwise). Every `bench/*.py` not starting with `_` runs.

`BENCH_SCALE=full` (the default) measures at the sizes the goals name, on `commerce_bench`;
`BENCH_SCALE=smoke` runs every bench small and short on `commerce_bench_smoke` (its seeds
never mix with a full run's) — `make test` does that after the suite, so a bench that no
longer runs fails the build.
"""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from devstack.services import PROJECT_DIR, ensure_database, ensure_services, with_database

DATABASES = {"full": "commerce_bench", "smoke": "commerce_bench_smoke"}


def main(argv: list[str]) -> int:
    scale = os.environ.get("BENCH_SCALE", "full")
    if scale not in DATABASES:
        print(f"BENCH_SCALE must be one of {', '.join(DATABASES)}, not {scale!r}")
        return 2
    fresh = "--fresh" in argv
    argv = [arg for arg in argv if arg != "--fresh"]
    services = ensure_services(DATABASES[scale])
    if fresh:
        _recreate_databases(services.database_url)
    env = {
        **os.environ,
        **services.environ(),
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "false",
        "CELERY_QUEUE": "bench",
        "BENCH_SCALE": scale,
    }
    if subprocess.call([sys.executable, "manage.py", "migrate_fast"], cwd=PROJECT_DIR, env=env):
        return 1
    benches = sorted(p for p in (PROJECT_DIR / "bench").glob("*.py") if not p.name.startswith("_"))
    if argv:
        unknown = sorted(set(argv) - {bench.stem for bench in benches})
        if unknown:
            print(f"no such bench: {', '.join(unknown)}")
            return 2
        benches = [bench for bench in benches if bench.stem in argv]
    results, failed = run_benches(benches, env)
    _drop_queued_tasks(env)
    print(f"\n== RESULT lines ({scale})")
    print("\n".join(results))
    if failed:
        print("failed:", ", ".join(failed))
        if not fresh:
            print(
                "(seeds are kept between runs: one an older version wrote may be stale; try again"
            )
            print(" on new databases with `make bench ARGS=--fresh`, BENCH_SCALE as above)")
    return 1 if failed else 0


def run_benches(benches: list[Path], env: dict[str, str]) -> tuple[list[str], list[str]]:
    """Run each bench in turn; its last RESULT line (with the time it took), and the benches
    that exited non-zero or printed no RESULT line."""
    results, failed = [], []
    scale = env.get("BENCH_SCALE", "full")
    for bench in benches:
        print(f"\n== bench/{bench.name} ({scale})", flush=True)
        started = time.perf_counter()
        returncode, result = _run_bench(bench, env)
        took = time.perf_counter() - started
        if returncode != 0 or not result:
            why = f"exit {returncode}" if returncode else "no RESULT line"
            failed.append(f"{bench.name} ({why})")
        else:
            results.append(f"{bench.stem:18} {result[-1]}  [{took:.0f} s]")
        print(f"-- bench/{bench.name}: {took:.1f} s", flush=True)
    return results, failed


def _recreate_databases(database_url: str) -> None:
    """`--fresh`: the bench database and those the benches derive from its name (the
    console's, the onboarding sweep's, signup's small level) are dropped; the bench database
    is made anew."""
    import psycopg

    name = urlsplit(database_url).path.lstrip("/")
    admin_url = with_database(database_url, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        # Exactly these names: `commerce_bench` must not take `commerce_bench_smoke` along.
        derived = conn.execute(
            "SELECT datname FROM pg_database WHERE datname ~ %s",
            [f"^{name}(_console|_console_[0-9]+|_onboarding|_[0-9]+)?$"],
        ).fetchall()
        for (database,) in derived:
            print(f"dropping database {database}", flush=True)
            conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
    ensure_database(database_url)


def _run_bench(bench, env: dict[str, str]) -> tuple[int, list[str]]:
    """Run one bench, its output shown as it comes; its exit code and RESULT lines."""
    process = subprocess.Popen(
        [sys.executable, str(bench)], cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, text=True
    )
    result = []
    for line in process.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if line.startswith("RESULT "):
            result.append(line.strip())
    return process.wait(), result


def _drop_queued_tasks(env: dict[str, str]) -> None:
    """No worker serves the `bench` queue: the tasks the benches sent (seat releases, team
    expiries, emails) are dropped rather than left for a later worker to run."""
    import redis

    redis.Redis.from_url(env.get("CELERY_BROKER_URL") or env["REDIS_URL"]).delete("bench")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
