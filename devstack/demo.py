"""`make demo`: services, migrations, demo data, then web + Celery worker + beat.

Ctrl-C stops everything this started (embedded PostgreSQL and Redis included). Killed
outright (SIGKILL), it still leaves nothing behind that holds the port: every child gets
SIGTERM from the kernel when this process dies (PR_SET_PDEATHSIG), and gunicorn and Celery
stop their own workers on it. One demo at a time: a second `make demo` while one runs says
so and exits 1 (a lock the kernel releases when its holder dies, so it is never stale).

`DEMO_SKIP_SETUP=1` skips migrations and demo data (the process tests use it).
"""

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from devstack.services import DATA_DIR, PROJECT_DIR, die_with_parent_preexec, ensure_services

BIN = os.path.dirname(sys.executable)
PORT = int(os.environ.get("PORT", "8000"))
# The demo runs with DEBUG pages and well-known passwords: it listens on this machine only
# unless DEMO_BIND names another address (e.g. DEMO_BIND=0.0.0.0 inside a container).
DEFAULT_BIND = "127.0.0.1"


# Each replays the demo shops' days since signup; customer success before billing (its NPS
# waves go to shops still open then), then again for health scores that read the invoices
# billing has just written. tests/test_demo.py runs the same steps.
SEED_STEPS = (
    "seed_demo",
    "seed_onboarding_demo",
    "seed_billing_demo",
    "seed_onboarding_demo",
    "seed_metrics_demo",
    "refresh_reports",
)


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


def lock_path(environ=os.environ) -> Path:
    return Path(environ.get("DEMO_LOCK_FILE") or DATA_DIR / "demo.lock")


def take_demo_lock(path: Path) -> IO[str] | None:
    """The open, locked lock file with this process's pid in it, or None when another live
    demo holds it. Kept open for the life of the demo: the kernel drops the lock with it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def lock_holder(path: Path) -> str:
    try:
        return path.read_text().strip() or "unknown"
    except OSError:
        return "unknown"


def main() -> int:
    lock = take_demo_lock(lock_path())
    if lock is None:
        path = lock_path()
        print(
            f"The demo is already running (pid {lock_holder(path)}, lock {path}). "
            "Stop it with Ctrl-C in its terminal, or `kill <pid>`, then run `make demo` again.",
            file=sys.stderr,
        )
        return 1
    services = ensure_services("commerce")
    env = {
        **os.environ,
        **services.environ(),
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev"),
    }
    manage = [sys.executable, "manage.py"]
    setup_steps = (["migrate_fast"], *([step] for step in SEED_STEPS))
    if os.environ.get("DEMO_SKIP_SETUP") == "1":
        setup_steps = ()
    for step in setup_steps:
        if (
            subprocess.call(
                manage + step, cwd=PROJECT_DIR, env=env, preexec_fn=die_with_parent_preexec()
            )
            != 0
        ):
            return 1

    processes = {
        "web": web_command(demo_bind(), PORT),
        "worker": [f"{BIN}/celery", "-A", "config", "worker", "--loglevel", "INFO", "-c", "2"],
        "beat": [f"{BIN}/celery", "-A", "config", "beat", "--loglevel", "INFO"],
    }
    running = {
        name: subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, preexec_fn=die_with_parent_preexec()
        )
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
                           http://paper-kite.localhost{suffix}/manage/ (owner@paper-kite.test, lapsed)
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
