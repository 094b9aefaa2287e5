"""`make test`: lint, then the whole pytest suite on real PostgreSQL and Redis.

Uses DATABASE_URL / REDIS_URL when set, else the local servers, else embedded ones.
Extra arguments go to pytest (`make test ARGS="-k signup"`).
"""

import os
import subprocess
import sys

from devstack.services import PROJECT_DIR, chromium_path, ensure_services

BIN = os.path.dirname(sys.executable)


def run(command: list[str], env: dict[str, str]) -> int:
    print("$", " ".join(command), flush=True)
    return subprocess.call(command, cwd=PROJECT_DIR, env=env)


def main(argv: list[str]) -> int:
    services = ensure_services("commerce")
    env = {**os.environ, **services.environ(), "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    if os.environ.get("CI") == "true" and chromium_path() is None:
        print("CI=true and no Chromium at /usr/bin/chromium: browser tests cannot run.")
        return 1
    for lint in ([f"{BIN}/ruff", "check", "."], [f"{BIN}/ruff", "format", "--check", "."]):
        if run(lint, env) != 0:
            return 1
    return run([f"{BIN}/pytest", *argv], env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
