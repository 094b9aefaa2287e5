"""`make bench`: every benchmark under bench/, on a database of its own (`commerce_bench`).

Each bench prints its figures and a last line `RESULT name=value ...`. Extra arguments name
benches to run (`make bench ARGS="signup checkout"`). Every `bench/*.py` not starting with
`_` runs: checkout, groupbuy, migrate_noop, onboarding_sweep (10,000 merchants' journeys,
goal <= 30 s), signup, storefront.
"""

import os
import subprocess
import sys

from devstack.services import PROJECT_DIR, ensure_services


def main(argv: list[str]) -> int:
    services = ensure_services("commerce_bench")
    env = {
        **os.environ,
        **services.environ(),
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "false",
        "CELERY_QUEUE": "bench",
    }
    if subprocess.call([sys.executable, "manage.py", "migrate_fast"], cwd=PROJECT_DIR, env=env):
        return 1
    benches = sorted(p for p in (PROJECT_DIR / "bench").glob("*.py") if not p.name.startswith("_"))
    if argv:
        benches = [bench for bench in benches if bench.stem in argv]
    failed = []
    for bench in benches:
        print(f"\n== bench/{bench.name}", flush=True)
        if subprocess.call([sys.executable, str(bench)], cwd=PROJECT_DIR, env=env) != 0:
            failed.append(bench.name)
    _drop_queued_tasks(env)
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
