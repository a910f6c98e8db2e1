"""A store that stops answering: a TCP proxy in front of the local S3 server that, once
told to hang, accepts connections and holds every byte (what a store behind a stalled
load balancer or a full disk looks like to a client). Used by tests/test_faults.py."""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class HangingProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.hung = threading.Event()
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = []

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HangingProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.closed.set()
        for s in [self.listener, *self.sockets]:
            with contextlib.suppress(OSError):
                s.close()

    def hang(self) -> None:
        self.hung.set()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.hung.is_set():
                continue  # accepted, never answered
            upstream = socket.create_connection(self.upstream)
            self.sockets.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                while self.hung.is_set() and not self.closed.is_set():
                    time.sleep(0.05)  # the bytes are held: the other side waits
                if self.closed.is_set():
                    return
                sink.sendall(data)
        except OSError:
            return
