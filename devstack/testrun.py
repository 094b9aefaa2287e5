"""`make test`: lint, the whole pytest suite on real PostgreSQL and Redis, then every bench
at smoke size (`BENCH_SCALE=smoke`, devstack/benchrun.py: a bench that fails or prints no
RESULT line fails the build, so no bench rots unnoticed).

Uses DATABASE_URL / REDIS_URL when set, else the local servers, else embedded ones.
Extra arguments go to pytest (`make test ARGS="-k signup"`); with arguments the bench smoke
run is left out (a chosen subset of tests is a quick check, not the build).

The whole suite runs in one pytest-xdist worker per core (`--dist loadfile`: a file's tests
stay together on one worker). Each worker has its own test database, cache key prefix and
Celery queue (config/settings/test.py names them after the process).
"""

import os
import subprocess
import sys

from devstack.benchrun import DATABASES as BENCH_DATABASES
from devstack.services import PROJECT_DIR, Services, chromium_path, ensure_services, with_database

BIN = os.path.dirname(sys.executable)
BENCH_SMOKE_DATABASE = BENCH_DATABASES["smoke"]


def run(command: list[str], env: dict[str, str]) -> int:
    print("$", " ".join(command), flush=True)
    return subprocess.call(command, cwd=PROJECT_DIR, env=env)


def main(argv: list[str]) -> int:
    services = ensure_services("commerce")
    env = {**os.environ, **services.environ(), "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    if os.environ.get("CI") == "true" and chromium_path() is None:
        print("CI=true and no Chromium at /usr/bin/chromium: browser tests cannot run.")
        return 1
    lints = (
        [f"{BIN}/ruff", "check", "."],
        [f"{BIN}/ruff", "format", "--check", "."],
        # The layer contracts of pyproject.toml [tool.importlinter].
        [f"{BIN}/lint-imports", "--no-cache"],
    )
    for lint in lints:
        if run(lint, env) != 0:
            return 1
    pytest_args = argv or ["--numprocesses", "auto", "--maxprocesses", "4", "--dist", "loadfile"]
    if run([f"{BIN}/pytest", *pytest_args], env) != 0:
        return 1
    if argv:
        return 0
    return run_bench_smoke(services)


def run_bench_smoke(services: Services) -> int:
    """Every bench, small and short, on databases of their own on the same servers (embedded
    ones stay up: this process started them)."""
    database_url = with_database(services.database_url, BENCH_SMOKE_DATABASE)
    env = {
        **os.environ,
        **services.environ(),
        "DATABASE_URL": database_url,
        "BENCH_SCALE": "smoke",
    }
    # --fresh: new databases each time, as CI has them, so every seed path runs (a seed kept
    # from an earlier run would hide one that no longer works).
    return run([sys.executable, "-m", "devstack.benchrun", "--fresh"], env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
