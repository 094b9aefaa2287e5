"""`make demo`: services, migrations, demo data, then web + Celery worker + beat.

Ctrl-C stops everything this started (embedded PostgreSQL and Redis included).
"""

import os
import signal
import subprocess
import sys
import time

from devstack.services import PROJECT_DIR, ensure_services

BIN = os.path.dirname(sys.executable)
PORT = int(os.environ.get("PORT", "8000"))
# The demo runs with DEBUG pages and well-known passwords: it listens on this machine only
# unless DEMO_BIND names another address (e.g. DEMO_BIND=0.0.0.0 inside a container).
DEFAULT_BIND = "127.0.0.1"


def demo_bind(environ=os.environ) -> str:
    return environ.get("DEMO_BIND", "").strip() or DEFAULT_BIND


def web_command(bind: str, port: int) -> list[str]:
    return [
        f"{BIN}/gunicorn",
        "config.wsgi",
        "--bind",
        f"{bind}:{port}",
        "--workers",
        "2",
        "--worker-class",
        "sync",
        "--access-logfile",
        "-",
    ]


def main() -> int:
    services = ensure_services("commerce")
    env = {
        **os.environ,
        **services.environ(),
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev"),
    }
    manage = [sys.executable, "manage.py"]
    for step in (
        ["migrate_fast"],
        ["seed_demo"],
        ["seed_billing_demo"],
        ["seed_onboarding_demo"],
        ["refresh_reports"],
    ):
        if subprocess.call(manage + step, cwd=PROJECT_DIR, env=env) != 0:
            return 1

    processes = {
        "web": web_command(demo_bind(), PORT),
        "worker": [f"{BIN}/celery", "-A", "config", "worker", "--loglevel", "INFO", "-c", "2"],
        "beat": [f"{BIN}/celery", "-A", "config", "beat", "--loglevel", "INFO"],
    }
    running = {
        name: subprocess.Popen(command, cwd=PROJECT_DIR, env=env)
        for name, command in processes.items()
    }
    suffix = "" if PORT == 80 else f":{PORT}"
    print(
        f"""
The demo is running (Ctrl-C stops it):
  Public site and signup   http://localhost{suffix}/
  Platform console         http://localhost{suffix}/console/   (csm@demo.test, cs-lead@demo.test, finance@demo.test, admin@demo.test)
  Django admin             http://localhost{suffix}/admin/     (admin@demo.test)
  Demo shops' consoles     http://tea-house.localhost{suffix}/manage/  (owner@tea-house.test)
                           http://noodle-bar.localhost{suffix}/manage/ (owner@noodle-bar.test)
                           http://flower-lab.localhost{suffix}/manage/ (owner@flower-lab.test)
  Health                   http://localhost{suffix}/healthz
  Every demo password:     demo-pass-2026
""",
        flush=True,
    )
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for name, process in running.items():
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; stopping the demo.")
                    stopping = True
            time.sleep(0.5)
    finally:
        for process in running.values():
            if process.poll() is None:
                process.terminate()
        for process in running.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
