"""Where the lake's objects live: a local folder or an S3 prefix (`PSW_LAKE_URL`).

The lake is the landed Parquet and the submissions ledger (psw/lake/layout.py names the keys).
Both stores take the same relative keys (`validated/trust=RV3/period=2025-06/<id>.parquet`)
and give dbt the same layout, so a platform moves from one disk to object storage by
setting one variable. A local folder is the default: the embedded platform stays one
command, and an existing data dir keeps its layout (the lake *is* `$PSW_DATA_DIR`).

Object stores have no rename, but a PUT is atomic: a reader sees the old object or the
new one, never half, which is what `write_atomically` gives on a disk.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlparse

from psw.core.settings import current

if TYPE_CHECKING:
    from psw.storage import S3Client, S3Settings


@dataclass(frozen=True)
class Entry:
    """One object of the lake: its key and when it was last written (epoch seconds)."""

    key: str
    modified: float


class LakeStore(Protocol):
    """The few operations the lake needs; keys are relative, '/'-separated."""

    def url(self, key: str = "") -> str:
        """The location of a key (or a glob) as DuckDB and dbt read it."""
        ...

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None:
        """The object's bytes; None when there is none."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove an object (nothing when there is none)."""
        ...

    def entries(self, prefix: str) -> Iterator[Entry]:
        """Every object under a prefix, in no particular order."""
        ...

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        """Several objects' bytes, in the order asked."""
        ...


def lake_url(data_dir: Path, env: Mapping[str, str] | None = None) -> str:
    """PSW_LAKE_URL, or the data dir itself (the layout the platform has always had)."""
    return current(env).lake_url or str(Path(data_dir).resolve())


def lake_bucket(url: str) -> str | None:
    """The bucket of an s3:// lake URL (None for a local lake)."""
    parsed = urlparse(url)
    if parsed.scheme != "s3":
        return None
    return parsed.netloc or None


def open_store(url: str, settings: S3Settings | None = None) -> LakeStore:
    """The store behind a lake URL: `s3://bucket/prefix` or a local path."""
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"PSW_LAKE_URL {url!r} names no bucket: use s3://<bucket>/<prefix>")
        return S3LakeStore(parsed.netloc, parsed.path.strip("/"), settings)
    if parsed.scheme in ("", "file"):
        return LocalLakeStore(Path(parsed.path if parsed.scheme else url))
    raise ValueError(f"PSW_LAKE_URL {url!r}: only a local path or s3://<bucket>/<prefix>")


@dataclass(frozen=True)
class LocalLakeStore:
    root: Path

    def url(self, key: str = "") -> str:
        return str(self.root.resolve() / key) if key else str(self.root.resolve())

    def put(self, key: str, data: bytes) -> None:
        write_atomically(self.root / key, data)

    def get(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return (self.root / key).is_file()

    def delete(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)

    def entries(self, prefix: str) -> Iterator[Entry]:
        folder = self.root / prefix
        if not folder.is_dir():
            return
        for path in folder.rglob("*"):
            # A dot file is a write in progress (write_atomically), not an object.
            if path.is_file() and not path.name.startswith("."):
                yield Entry(path.relative_to(self.root).as_posix(), path.stat().st_mtime)

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        return [self.get(key) for key in keys]


class S3LakeStore:
    """A prefix of a bucket on any S3-compatible store, with the platform's credentials."""

    # Parallel GETs: reading every ledger entry is one request each (the history pages
    # read them all after a publish), so they go 16 at a time.
    READERS = 16

    def __init__(self, bucket: str, prefix: str, settings: S3Settings | None = None) -> None:
        self.bucket, self.prefix, self._settings = bucket, f"{prefix}/" if prefix else "", settings
        self._client = None

    @property
    def client(self) -> S3Client:
        if self._client is None:
            from psw.storage import S3Settings, s3_client

            self._client = s3_client(self._settings or S3Settings.from_env())
        return self._client

    def url(self, key: str = "") -> str:
        base = f"s3://{self.bucket}/{self.prefix}"
        return base + key if key else base.rstrip("/")

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data)

    def get(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except self.client.exceptions.NoSuchKey:
            return None
        return answer["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)

    def entries(self, prefix: str) -> Iterator[Entry]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"].removeprefix(self.prefix)
                yield Entry(key, item["LastModified"].timestamp())

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        if len(keys) < 2:
            return [self.get(key) for key in keys]
        self.client  # noqa: B018 - made once here, not by several threads at once
        with ThreadPoolExecutor(self.READERS) as readers:
            return list(readers.map(self.get, keys))

    def __getstate__(self) -> dict:
        """Sent to intake's worker processes without the client: each makes its own."""
        return {**self.__dict__, "_client": None}

    def __repr__(self) -> str:
        return f"S3LakeStore({self.url()!r})"


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside, then rename: a reader sees the old file or the new one, never half.

    The bytes reach the disk before the rename, and the rename before this returns: a
    rename without them can leave a zero-length file after a power cut (issue 21 found
    what a zero-length ledger entry did)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
