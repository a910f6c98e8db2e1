"""The portal's own state: who may act for which trust (grants), what was done (the audit
log), the uploads made through it (receipt and instant result), and the emails sent.

Kept by the platform (operators grant with `psw portal grant`; nothing is self-service) in
one SQLite file, `$PSW_DATA_DIR/portal/portal.sqlite3`. SQLite, not the lake: grants are
read on every request and the log is queried by operators, and the portal is one small
process (decision 0133). Nothing here is needed by the pipeline: an upload through the
portal is an object in the trust's bucket like any other. Email addresses are compared in
lower case: identity providers do not agree on the case of what they send.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
create table if not exists grants (
    email text not null,
    ods_code text not null,
    granted_at text not null,
    primary key (email, ods_code)
);
create table if not exists audit (
    id integer primary key autoincrement,
    at text not null,
    email text not null,
    action text not null,
    ods_code text,
    what text not null,
    outcome text not null
);
create table if not exists uploads (
    submission_id text primary key,
    ods_code text not null,
    period text not null,
    file_name text not null,
    object_key text not null,
    size integer not null,
    sha256 text not null,
    received_at text not null,
    email text not null,
    result text not null
);
create table if not exists sent (
    kind text not null,
    subject_key text not null,
    email text not null,
    sent_at text not null,
    primary key (kind, subject_key, email)
);
"""
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccessError(ValueError):
    """A grant that cannot be made (an address that is not one)."""


def normalise_email(email: str) -> str:
    address = email.strip().lower()
    if not EMAIL.match(address):
        raise AccessError(f"'{email}' is not an email address")
    return address


@dataclass(frozen=True)
class Grant:
    email: str
    ods_code: str
    granted_at: str


@dataclass(frozen=True)
class Upload:
    """An upload made through the portal: its receipt, who made it, the instant result."""

    submission_id: str
    ods_code: str
    period: str
    file_name: str
    key: str
    size: int
    sha256: str
    received_at: str  # ISO, UTC
    email: str
    result: dict  # the report as the pipeline writes its JSON (Report.to_dict)


@dataclass(frozen=True)
class AuditEntry:
    at: str
    email: str
    action: str  # sign-in, sign-in-refused, upload, upload-refused, download, grant, revoke
    ods_code: str | None
    what: str  # the file, the key, the period: never a value from inside a file
    outcome: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class PortalStore:
    """Grants, audit log, uploads and sent emails in one SQLite file (made on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(SCHEMA)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> PortalStore:
        return cls(data_dir / "portal" / "portal.sqlite3")

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        # One connection per call: the portal's threads never share one, and each
        # transaction commits (or rolls back) before the call returns.
        db = sqlite3.connect(self.path, timeout=10)
        try:
            db.execute("pragma journal_mode=wal")
            with db:
                yield db
        finally:
            db.close()

    def grant(self, email: str, ods_code: str, by: str) -> bool:
        """Whether a new grant was made (False: it stood already)."""
        address, ods = normalise_email(email), ods_code.upper()
        with self._db() as db:
            made = db.execute(
                "insert or ignore into grants values (?, ?, ?)", (address, ods, _now())
            ).rowcount
        self.record(by, "grant", ods, address, "granted" if made else "stood already")
        return bool(made)

    def revoke(self, email: str, ods_code: str, by: str) -> bool:
        """Whether a grant was taken away (False: there was none)."""
        address, ods = normalise_email(email), ods_code.upper()
        with self._db() as db:
            removed = db.execute(
                "delete from grants where email = ? and ods_code = ?", (address, ods)
            ).rowcount
        self.record(by, "revoke", ods, address, "revoked" if removed else "no such grant")
        return bool(removed)

    def grants(self) -> list[Grant]:
        with self._db() as db:
            rows = db.execute("select * from grants order by email, ods_code").fetchall()
        return [Grant(*row) for row in rows]

    def trusts_for(self, email: str) -> list[str]:
        with self._db() as db:
            rows = db.execute(
                "select ods_code from grants where email = ? order by ods_code",
                (email.strip().lower(),),
            ).fetchall()
        return [row[0] for row in rows]

    def users_of(self, ods_code: str) -> list[str]:
        with self._db() as db:
            rows = db.execute(
                "select email from grants where ods_code = ? order by email", (ods_code.upper(),)
            ).fetchall()
        return [row[0] for row in rows]

    def record(
        self, email: str, action: str, ods_code: str | None, what: str, outcome: str
    ) -> None:
        with self._db() as db:
            db.execute(
                "insert into audit (at, email, action, ods_code, what, outcome) "
                "values (?, ?, ?, ?, ?, ?)",
                (_now(), email, action, ods_code, what, outcome),
            )

    def audit(self, limit: int | None = None) -> list[AuditEntry]:
        """The log, newest first."""
        with self._db() as db:
            rows = db.execute(
                "select at, email, action, ods_code, what, outcome from audit "
                "order by id desc limit ?",
                (-1 if limit is None else limit,),
            ).fetchall()
        return [AuditEntry(*row) for row in rows]

    def save_upload(self, upload: Upload) -> None:
        with self._db() as db:
            db.execute(
                "insert or replace into uploads values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    upload.submission_id,
                    upload.ods_code,
                    upload.period,
                    upload.file_name,
                    upload.key,
                    upload.size,
                    upload.sha256,
                    upload.received_at,
                    upload.email,
                    json.dumps(upload.result),
                ),
            )

    def upload(self, ods_code: str, submission_id: str) -> Upload | None:
        with self._db() as db:
            row = db.execute(
                "select * from uploads where ods_code = ? and submission_id = ?",
                (ods_code, submission_id),
            ).fetchone()
        if row is None:
            return None
        values = list(row)
        values[9] = json.loads(values[9])
        return Upload(*values)

    def mark_sent(self, kind: str, subject_key: str, email: str) -> bool:
        """Record an email as sent; False when it had been (never send one twice)."""
        with self._db() as db:
            return bool(
                db.execute(
                    "insert or ignore into sent values (?, ?, ?, ?)",
                    (kind, subject_key, email, _now()),
                ).rowcount
            )

    def sent_keys(self, kind: str) -> set[str]:
        """Every subject of a kind with a record (for `settled`: those never to read again)."""
        with self._db() as db:
            rows = db.execute("select subject_key from sent where kind = ?", (kind,)).fetchall()
        return {row[0] for row in rows}

    def was_sent(self, kind: str, subject_key: str, email: str) -> bool:
        with self._db() as db:
            return (
                db.execute(
                    "select 1 from sent where kind = ? and subject_key = ? and email = ?",
                    (kind, subject_key, email),
                ).fetchone()
                is not None
            )
