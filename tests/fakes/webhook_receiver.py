"""A real HTTP server on 127.0.0.1 that receives webhooks: it records every request
(headers and raw body) and answers as the test tells it (`answers`: a list of statuses used
in turn, the last one repeated; `delay`: seconds to wait before answering)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    answers: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0
    reply_body: bytes = b'{"ok":true}'
    received: list[Received] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer_for(self, index: int) -> int:
        return self.answers[min(index, len(self.answers) - 1)]

    def ids(self) -> list[str]:
        with self._lock:
            return [item.headers["webhook-id"] for item in self.received]


def start(receiver: Receiver) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver._lock:
                index = len(receiver.received)
                receiver.received.append(
                    Received(
                        path=self.path,
                        headers={key.lower(): value for key, value in self.headers.items()},
                        body=body,
                    )
                )
            if receiver.delay:
                time.sleep(receiver.delay)
            status = receiver.answer_for(index)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(receiver.reply_body)))
                self.end_headers()
                self.wfile.write(receiver.reply_body)
            except OSError:  # the sender gave up waiting (a timeout test)
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    return server, receiver.url
