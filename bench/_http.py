"""What the HTTP benches share: gunicorn as production runs it, shoppers as browsers are
(a keep-alive session with its own cookies, following redirects, posting the forms it was
given with their CSRF tokens), and client processes started together.

Django-free: the client processes import only this and `requests`.
"""

import multiprocessing
import os
import random
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
from _scale import sized

PROJECT_DIR = Path(__file__).resolve().parent.parent
CLIENTS = sized(4, 2)  # two are enough to run the concurrent path at smoke size


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, extra_env: dict[str, str]) -> subprocess.Popen:
    """gunicorn with 2 sync workers and persistent DB connections; the bench views on.
    Each shopper is told apart by X-Forwarded-For (as behind a load balancer), so the
    per-address rate limits apply to every shopper as they would, without all of them
    sharing 127.0.0.1's allowance."""
    env = {
        **os.environ,
        "BENCH_VIEWS": "true",
        "DEBUG": "false",
        "DB_CONN_MAX_AGE": "600",
        "RATE_LIMIT_CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
        # Not a line per Stripe call on the console (a log shipper would take them).
        "LOG_LEVEL": "WARNING",
        **extra_env,
    }
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        cwd=PROJECT_DIR,
        env=env,
    )


def wait_until_serving(server: subprocess.Popen, base: str, host: str) -> None:
    deadline = time.time() + 60
    while True:
        try:
            if requests.get(f"{base}/bench/bare/", headers={"Host": host}, timeout=10).ok:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        if time.time() > deadline or server.poll() is not None:
            raise RuntimeError("gunicorn did not start")
        time.sleep(0.3)


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=20)


class _Forms(HTMLParser):
    """Every <form> of a page: its action, method and the values it would submit."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[str] = []
        self.data_attributes: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attributes.items():
            if name.startswith("data-") and value is not None:
                self.data_attributes[name] = value
        if tag == "form":
            self.forms.append(
                {
                    "id": attributes.get("id", ""),
                    "action": attributes.get("action") or "",
                    "method": (attributes.get("method") or "get").lower(),
                    "fields": {},
                }
            )
        elif tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        elif tag == "input" and self.forms and attributes.get("name"):
            kind = attributes.get("type", "text")
            fields = self.forms[-1]["fields"]
            if kind in ("radio", "checkbox"):
                if "checked" in attributes and "disabled" not in attributes:
                    fields[attributes["name"]] = attributes.get("value", "on")
                else:
                    fields.setdefault(attributes["name"], None)
            else:
                fields[attributes["name"]] = attributes.get("value") or ""


class Page:
    """A page as the shopper got it; its forms and links are parsed when first asked for
    (the client shares the cores it measures, and most pages are only passed through)."""

    def __init__(self, response: requests.Response):
        self.url = response.url
        self.status = response.status_code
        self.text = response.text
        self._parsed: _Forms | None = None

    def _parse(self) -> _Forms:
        if self._parsed is None:
            self._parsed = _Forms()
            self._parsed.feed(self.text)
        return self._parsed

    @property
    def forms(self) -> list[dict]:
        return self._parse().forms

    @property
    def links(self) -> list[str]:
        return self._parse().links

    @property
    def data(self) -> dict[str, str]:
        return self._parse().data_attributes

    def form(self, *, action_contains: str = "", field: str = "", method: str = "post") -> dict:
        """The first form posting to an address containing `action_contains` and having the
        field `field` (the language switch is a post form on every page too)."""
        found = self.find_form(action_contains=action_contains, field=field, method=method)
        if found is None:
            raise RuntimeError(
                f"{self.url}: no {method} form to {action_contains!r} with a field {field!r}"
            )
        return found

    def find_form(self, *, action_contains: str = "", field: str = "", method: str = "post"):
        for form in self.forms:
            if (
                form["method"] == method
                and action_contains in form["action"]
                and (not field or field in form["fields"])
            ):
                return form
        return None


class Browser:
    """One shopper: a keep-alive connection, its own cookies, its own client address.
    Counts the requests it makes and fails loudly on any answer but 2xx/3xx."""

    def __init__(self, base: str, host: str):
        self.base = base
        self.host = host
        self.session = requests.Session()
        # No proxy or .netrc look-up on every request: the client shares the cores it measures.
        self.session.trust_env = False
        self.requests = 0
        self.address = ""

    def new_shopper(self) -> None:
        """Forget the cookies and come from another address (the connection stays open)."""
        self.session.cookies.clear()
        self.address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(256)}"

    def _headers(self, referer: str = "") -> dict[str, str]:
        headers = {"Host": self.host}
        if self.address:
            headers["X-Forwarded-For"] = self.address
        if referer:
            headers["Referer"] = referer
        return headers

    def _local(self, url: str) -> str:
        # Redirects name the shop's host; the server is reached on 127.0.0.1.
        parts = urlsplit(urljoin(self.base + "/", url))
        return f"{self.base}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    def get(self, url: str) -> Page:
        return self._follow(
            self.session.get(self._local(url), headers=self._headers(), allow_redirects=False)
        )

    def submit(self, page: Page, form: dict, *, refusal_ok: bool = False, **values: str) -> Page:
        """Post `form` as the browser would, with `values` filled in. `refusal_ok`: a 400
        (the form shown again with its error) is an answer, not a failure."""
        fields = {name: value for name, value in form["fields"].items() if value is not None}
        fields.update(values)
        url = urljoin(page.url, form["action"]) if form["action"] else page.url
        response = self.session.post(
            self._local(url), data=fields, headers=self._headers(page.url), allow_redirects=False
        )
        return self._follow(response, refusal_ok=refusal_ok)

    def _follow(self, response: requests.Response, *, refusal_ok: bool = False) -> Page:
        self.requests += 1
        while response.is_redirect:
            location = response.headers["Location"]
            response = self.session.get(
                self._local(location), headers=self._headers(), allow_redirects=False
            )
            self.requests += 1
        if response.status_code >= 400 and not (refusal_ok and response.status_code == 400):
            raise RuntimeError(f"{response.url}: {response.status_code}\n{response.text[-800:]}")
        return Page(response)


def run_clients(target, args: tuple, seconds: float) -> list[dict]:
    """`CLIENTS` processes run `target(*args, seconds, gate, results)` from a common start
    (given once every one of them is ready); each puts one dict of counts on `results`."""
    # Forked: the clients need nothing the parent has open (it closed its database
    # connection), and start at once.
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    gate = (context.Queue(), context.Event())
    processes = [
        context.Process(target=target, args=(*args, seconds, gate, results)) for _ in range(CLIENTS)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        gate[0].get(timeout=120)
    gate[1].set()
    counts = [results.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join()
    return counts


def wait_for_start(gate) -> float:
    """Called by each client once it is ready: tells the parent, waits for the common start."""
    # Forked clients inherit one random state: without a reseed they would all be the same
    # shoppers (addresses, emails, choices).
    random.seed()
    ready, go = gate
    ready.put(os.getpid())
    go.wait()
    return time.time()


def bare_client(base: str, host: str, seconds: float, gate, results) -> None:
    """The yardstick, measured by the same client: GET the one-query view again and again."""
    browser = Browser(base, host)
    browser.get("/bench/bare/")
    browser.requests = 0
    deadline = wait_for_start(gate) + seconds
    while time.time() < deadline:
        browser.get("/bench/bare/")
    results.put({"requests": browser.requests, "failed": 0})


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time (user + system) the gunicorn master and its workers have used so far, read
    from /proc: what the server spent, whatever the clients on the same cores spent."""
    return _cpu_seconds(lambda pid, parent, _name: server.pid in (pid, parent))


def database_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process on the machine so far (the gunicorn workers'
    backends among them): meaningful on a machine doing nothing else."""
    return _cpu_seconds(lambda _pid, _parent, name: name.startswith("postgres"))


def _cpu_seconds(counted) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            name = text[text.index("(") + 1 : text.rindex(")")]
            fields = text.rsplit(")", 1)[1].split()
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
        if counted(int(stat.parent.name), int(fields[1]), name):
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def finished_children_cpu_seconds() -> float:
    """CPU time of this process's children that have ended (the client processes, once
    joined)."""
    times = os.times()
    return times.children_user + times.children_system


@dataclass(frozen=True)
class CpuSpent:
    """CPU seconds spent during one phase: the server, PostgreSQL, the clients."""

    server: float = 0.0
    database: float = 0.0
    clients: float = 0.0

    @classmethod
    def now(cls, server: subprocess.Popen) -> "CpuSpent":
        return cls(
            server_cpu_seconds(server), database_cpu_seconds(), finished_children_cpu_seconds()
        )

    def since(self, start: "CpuSpent") -> "CpuSpent":
        return CpuSpent(
            self.server - start.server, self.database - start.database, self.clients - start.clients
        )

    def per_request_ms(self, requests: float) -> "CpuSpent":
        if not requests:
            return CpuSpent()
        return CpuSpent(
            *(1000 * seconds / requests for seconds in (self.server, self.database, self.clients))
        )


@dataclass(frozen=True)
class Measured:
    """A shopper flow measured beside the bare view in one run, by the same client; with
    the gunicorn processes' CPU seconds during each."""

    clients: list[dict]
    bare_rps: float
    seconds: float
    flow_cpu: CpuSpent = CpuSpent()
    bare_cpu: CpuSpent = CpuSpent()

    def cpu_per_request_ms(self) -> tuple[CpuSpent, CpuSpent]:
        """Where the cores went, in ms a request: (the flow's, the bare view's)."""
        return (
            self.flow_cpu.per_request_ms(self.total("requests")),
            self.bare_cpu.per_request_ms(self.bare_rps * self.seconds),
        )

    def server_cpu_ratio(self) -> tuple[float, float, float]:
        """(server CPU ms a flow request, ms a bare request, bare ÷ flow): the same ratio
        counted in the server's own CPU time, so the clients' share of the cores is out."""
        flow, bare = self.cpu_per_request_ms()
        return flow.server, bare.server, (bare.server / flow.server if flow.server else 0.0)

    def total(self, count: str) -> int:
        return sum(client[count] for client in self.clients)

    def ratio(self, units: int) -> tuple[float, float, float]:
        """(units/s, requests a unit, units/s * requests a unit / bare requests/s)."""
        per_second = units / self.seconds
        per_unit = self.total("requests") / units if units else 0.0
        ratio = per_second * per_unit / self.bare_rps if self.bare_rps else 0.0
        return per_second, per_unit, ratio

    def print_errors(self, what: str) -> None:
        for client in self.clients:
            if client["error"]:
                print(f"a failed {what}:\n{client['error']}", file=sys.stderr)


def measure_beside_bare(
    server: subprocess.Popen,
    base: str,
    host: str,
    flow,
    flow_args: tuple,
    *,
    seconds: float,
    warm_up_seconds: float,
) -> Measured:
    """Warm up (templates, caches, plans, every worker's connection), then run `flow` and the
    bare view for `seconds` each; the server is stopped afterwards whatever happens."""
    try:
        wait_until_serving(server, base, host)
        if warm_up_seconds:
            run_clients(flow, flow_args, warm_up_seconds)
            run_clients(bare_client, (base, host), warm_up_seconds)
        started = CpuSpent.now(server)
        clients = run_clients(flow, flow_args, seconds)
        between = CpuSpent.now(server)
        bare = run_clients(bare_client, (base, host), seconds)
        ended = CpuSpent.now(server)
    finally:
        stop(server)
    bare_rps = sum(client["requests"] for client in bare) / seconds
    return Measured(
        clients=clients,
        bare_rps=bare_rps,
        seconds=seconds,
        flow_cpu=between.since(started),
        bare_cpu=ended.since(between),
    )
