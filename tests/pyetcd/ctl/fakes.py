"""Misbehaving servers for the failure tests: canned HTTP answers, and a black hole.

A real etcd cannot be made to answer 503, an empty body or a member list with unhealthy
members on demand; these loopback servers can. Each runs in a thread on a free port and is
closed by its context manager.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# path -> (status, content type, body); "" content type sends no Content-Type header.
Routes = Mapping[str, tuple[int, str, bytes]]
JSON = "application/json"


class _Handler(BaseHTTPRequestHandler):
    routes: Routes = {}
    record: list[tuple[str, str, str]] | None = None

    def _answer(self) -> None:
        if self.record is not None:
            self.record.append((self.command, self.path, self.headers.get("Authorization", "")))
        path = self.path.split("?", 1)[0]
        status, ctype, body = self.routes.get(path, (404, "text/plain", b"404 page not found\n"))
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if status < 300:
            self.send_header("X-Etcd-Index", "42")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def fake_server(routes: Routes,
                record: list[tuple[str, str, str]] | None = None) -> Iterator[str]:
    """Serve ``routes`` on a free loopback port; yields the base URL. Each request's
    (method, path, Authorization header) is appended to ``record`` when one is given."""
    handler = type("Handler", (_Handler,), {"routes": dict(routes), "record": record})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def black_hole() -> Iterator[str]:
    """A port that accepts connections and never answers; yields its URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        listener.close()
        for conn in held:
            conn.close()
        thread.join(5)
