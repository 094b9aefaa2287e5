"""`make bench`: every benchmark under bench/, on a database of its own.

Each bench prints its figures and a last line `RESULT name=value ...`; a bench that exits
non-zero or prints no RESULT line fails the run. Extra arguments name benches to run
(`make bench ARGS="signup checkout"`). Every `bench/*.py` not starting with `_` runs.

`BENCH_SCALE=full` (the default) measures at the sizes the goals name, on `commerce_bench`;
`BENCH_SCALE=smoke` runs every bench small and short on `commerce_bench_smoke` (its seeds
never mix with a full run's) — `make test` does that after the suite, so a bench that no
longer runs fails the build.
"""

import os
import subprocess
import sys
import time

from devstack.services import PROJECT_DIR, ensure_services

DATABASES = {"full": "commerce_bench", "smoke": "commerce_bench_smoke"}


def main(argv: list[str]) -> int:
    scale = os.environ.get("BENCH_SCALE", "full")
    if scale not in DATABASES:
        print(f"BENCH_SCALE must be one of {', '.join(DATABASES)}, not {scale!r}")
        return 2
    services = ensure_services(DATABASES[scale])
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
        benches = [bench for bench in benches if bench.stem in argv]
    failed, results = [], []
    for bench in benches:
        print(f"\n== bench/{bench.name} ({scale})", flush=True)
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, str(bench)],
            cwd=PROJECT_DIR,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        sys.stdout.write(run.stdout)
        result = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
        took = time.perf_counter() - started
        if run.returncode != 0 or not result:
            why = f"exit {run.returncode}" if run.returncode else "no RESULT line"
            failed.append(f"{bench.name} ({why})")
        else:
            results.append(f"{bench.stem:18} {result[-1]}  [{took:.0f} s]")
        print(f"-- bench/{bench.name}: {took:.1f} s", flush=True)
    _drop_queued_tasks(env)
    print(f"\n== RESULT lines ({scale})")
    print("\n".join(results))
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


def _drop_queued_tasks(env: dict[str, str]) -> None:
    """No worker serves the `bench` queue: the tasks the benches sent (seat releases, team
    expiries, emails) are dropped rather than left for a later worker to run."""
    import redis

    redis.Redis.from_url(env.get("CELERY_BROKER_URL") or env["REDIS_URL"]).delete("bench")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
