"""Each trust's data-quality history, written to its own bucket beside its reports.

`feedback/history.json` (machines) and `feedback/history.html` (people), refreshed after
each batch of the trust's uploads (psw/intake/batches.py) and after each publish of the national
figures (the data-quality measure is the published one, `published.data_quality`).

What it holds is the trust's own: every upload with its status and counts, the rules it
breaks most and what to fix first. The one figure from elsewhere is the national picture
of each rule (the share of all trusts' months in which an upload broke it), shown only
when at least MIN_OTHER_TRUSTS other trusts have uploaded and rounded to a whole percent,
so it never reveals another trust, and the median score of all trusts, worked out from
the published (perturbed) scores. The trust's own figures are its own and shown exactly:
its row and finding counts, and its data-quality score, worked out here from its ledger
entries as `data_quality` in the standard defines it (the published score is worked out
from perturbed counts, docs/disclosure-control.md).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psw.core.periods import month_name
from psw.intake.submissions import FEEDBACK_PREFIX
from psw.lake.layout import Lake, recency, standing
from psw.site.charts import cached_in
from psw.site.own_quality import own_quality
from psw.site.published import Published
from psw.standard.validation.shown import printable

if TYPE_CHECKING:
    from psw.storage import S3Client

HISTORY_KEY = f"{FEEDBACK_PREFIX}history"  # .json and .html
HISTORY_FORMAT_VERSION = 1
MIN_OTHER_TRUSTS = 5
FIX_FIRST = 3

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NationalPicture:
    """Per rule, the share of all trusts' months in which an upload broke it."""

    shares: dict[str, float]
    trusts: int

    def share(self, rule_id: str, own_trust_counted: bool) -> float | None:
        others = self.trusts - (1 if own_trust_counted else 0)
        return self.shares.get(rule_id, 0.0) if others >= MIN_OTHER_TRUSTS else None


def latest_per_month(records: Iterable[dict]) -> dict[tuple[str, str], dict]:
    """The newest upload of each trust-month (filed uploads only)."""
    latest: dict[tuple[str, str], dict] = {}
    for record in records:
        if not record.get("period"):
            continue
        key = (record["trust_ods_code"], record["period"])
        if key not in latest or recency(record) > recency(latest[key]):
            latest[key] = record
    return latest


def rules_per_month(records: Iterable[dict]) -> dict[tuple[str, str], dict[str, int]]:
    """Per trust-month, the rules any of its filed uploads broke, with the findings of the
    newest upload that broke each (a rule fixed by a later upload still counts: it is a
    habit the trust's next returns should lose)."""
    months: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for record in sorted(records, key=recency):
        if record.get("period"):
            key = (record["trust_ods_code"], record["period"])
            months[key].update(record.get("rule_counts") or {})
    return months


def national_picture(records: Iterable[dict]) -> NationalPicture:
    months = rules_per_month(records)
    broken: dict[str, int] = defaultdict(int)
    for rules in months.values():
        for rule_id in rules:
            broken[rule_id] += 1
    trusts = len({ods for ods, _ in months})
    return NationalPicture({r: n / (len(months) or 1) for r, n in broken.items()}, trusts)


def history(
    ods: str,
    name: str,
    records: list[dict],
    national: NationalPicture,
    quality: list[tuple],
    built_at: str,
) -> dict:
    """The history as plain data (history.json); `records` are the trust's ledger entries,
    `quality` its rows of the published data-quality measure (Published.quality), read
    for the median of all trusts."""
    from psw.standard.model import load_standard

    standard = load_standard()
    uploads = sorted(records, key=recency)
    latest = latest_per_month(uploads)
    months = sorted(period for _, period in latest)
    last_month = months[-1] if months else None
    counted = bool(latest)
    broken = rules_per_month(uploads)
    # What stands for each month (its newest return in force, else its newest upload):
    # only those are still to fix. A rejected upload after an accepted one changes nothing.
    of_month = {p: [u for u in uploads if u.get("period") == p] for p in months}
    stands = {p: standing(of_month[p]) or {} for p in months}
    still: dict[str, list[str]] = defaultdict(list)
    for period, record in stands.items():
        for rule_id in record.get("rule_counts") or {}:
            still[rule_id].append(period)
    rules: list[dict[str, Any]] = []
    for rule_id in sorted({r for found in broken.values() for r in found}):
        rule = standard.rules.get(rule_id)  # None: a rule of an earlier standard, since retired
        seen = sorted(p for (_, p), found in broken.items() if rule_id in found)
        share = len(seen) / len(broken)
        nationally = national.share(rule_id, counted)
        rules.append(
            {
                "rule_id": rule_id,
                "severity": rule.severity if rule else "retired",
                "what_it_checks": rule.description if rule else "a rule no longer in the standard",
                "share_of_your_months": round(share, 2),
                "last_seen": seen[-1],
                "in_latest_month": seen[-1] == last_month,
                "still_in_latest_upload": last_month in still.get(rule_id, []),
                "still_stands_in": still.get(rule_id, []),
                "findings_in_last_seen_month": broken[(ods, seen[-1])][rule_id],
                "national_share_of_months": None if nationally is None else round(nationally, 2),
                "compared": _compared(share, nationally),
            }
        )
    # What still stands first, then what rejects a file, then what is recent and frequent.
    rules.sort(
        key=lambda r: (
            not r["still_stands_in"],
            not r["still_in_latest_upload"],
            r["severity"] != "error",
            not r["in_latest_month"],
            -r["share_of_your_months"],
            r["rule_id"],
        )
    )
    return {
        "history_format_version": HISTORY_FORMAT_VERSION,
        "trust_ods_code": ods,
        "trust_name": name,
        "built_at": built_at,
        "counts_note": "Your own figures, exactly as in each upload's report; only the "
        "medians and national shares are of other trusts.",
        "national_note": (
            "National shares are of all trusts' months in which an upload broke the rule, "
            f"shown when at least {MIN_OTHER_TRUSTS} other trusts have uploaded, to the "
            "nearest percent."
        ),
        "months": [_month(p, of_month[p], stands[p]) for p in months],
        "uploads": [_upload(u) for u in reversed(uploads)],
        "rules": rules,
        "fix_first": [_fix(r) for r in rules if r["still_stands_in"]][:FIX_FIRST],
        "data_quality": own_quality(uploads, quality, standard),
    }


def _compared(share: float, nationally: float | None) -> str:
    if nationally is None:
        return "not shown: too few trusts have uploaded"
    if share >= nationally + 0.05:  # five points either way: a difference worth reading
        return "more often than nationally"
    if share <= nationally - 0.05:
        return "less often than nationally"
    return "about as often as nationally"


def _month(period: str, uploads: list[dict], stands: dict) -> dict:
    """A month as it stands (`stands`, of its `uploads`, oldest first), and whether a
    later upload was turned away."""
    return {
        "month": period,
        "status": stands["status"],
        "rows": stands["rows"],
        "errors": stands["errors"],
        "warnings": stands["warnings"],
        "later_upload_rejected": uploads[-1] is not stands,
    }


def _upload(record: dict) -> dict:
    report = record.get("report_key")
    return {
        "month": record.get("period"),
        # The trust named the file: a direction override in its name shows as its code.
        "file": printable(record["source_key"]),
        "received_at": record["received_at"],
        "status": record["status"],
        "rows": record["rows"],
        "errors": record["errors"],
        "warnings": record["warnings"],
        "report": f"{report}.html" if report else None,
        "rules": sorted(record.get("rule_counts") or {}),
    }


def _fix(rule: dict) -> dict:
    """Only for a rule that the return standing for some month still breaks."""
    why = "it rejects the file" if rule["severity"] == "error" else "it lowers the score"
    months = [month_name(m) for m in rule["still_stands_in"]]
    shown = ", ".join(months[-3:]) + (f" and {len(months) - 3} more" if len(months) > 3 else "")
    where = f"what stands for {shown} still breaks it"
    return {
        "rule_id": rule["rule_id"],
        "what_it_checks": rule["what_it_checks"],
        "why": f"{why}; {where}; {rule['share_of_your_months']:.0%} of your months",
    }


# ---- reading and writing ----------------------------------------------------------------


def national_picture_of(lake: Lake) -> NationalPicture:
    """The national picture from every trust's filed ledger entries."""
    return national_picture(lake.outcomes())


def refresh_history(
    s3: S3Client,
    lake: Lake,
    ods: str,
    national: NationalPicture | None = None,
    published: Published | None = None,
) -> bool:
    """Write the trust's history to its bucket; False (logged) when it could not be.

    `national` and `published` (the open serving database) are read here when not given;
    refreshing many trusts passes them once. Never raises: a history that fails to
    refresh must not stop an upload's processing."""
    try:
        with cached_in(lake.chart_cache):
            return _write_history(s3, lake, ods, national or national_picture_of(lake), published)
    except Exception:  # logged for operators; the trust still has each upload's report
        log.exception("could not refresh the data-quality history of %s", ods)
        return False


def refresh_after_intake(s3: S3Client, lake: Lake, ods: str, cache: dict) -> bool:
    """Intake's hook (`Settings.after_trust`): a trust's history once a batch or worker is
    done with its uploads. `cache` keeps the national picture for the batch or worker."""
    if "national" not in cache:
        cache["national"] = national_picture_of(lake)
    return refresh_history(s3, lake, ods, cache["national"])


def refresh_all(s3: S3Client, lake: Lake, trusts: Iterable[str]) -> int:
    """Every listed trust's history (after a publish): how many were written. Stops at a
    store that cannot be reached: each further trust would only wait for its retries."""
    from psw.storage import store_unreachable

    national, written = national_picture_of(lake), 0
    with _serving(lake) as published, cached_in(lake.chart_cache):
        for ods in trusts:
            try:
                written += _write_history(s3, lake, ods, national, published)
            except Exception as exc:  # one trust's bucket must not stop the others
                log.exception("could not refresh the data-quality history of %s", ods)
                if store_unreachable(exc):
                    log.error("the object store cannot be reached: histories left as they were")
                    break
    return written


@contextmanager
def _serving(lake: Lake) -> Iterator[Published | None]:
    if not lake.serving.exists():
        yield None
        return
    with Published(lake.serving) as published:
        yield published


def _write_history(s3, lake: Lake, ods: str, national: NationalPicture, published) -> bool:
    from psw.site.history_page import render
    from psw.standard.reference import trust

    registered = trust(ods)
    if registered is None:
        return False
    if published is None:
        with _serving(lake) as opened:
            quality = opened.quality(ods) if opened else []
    else:
        quality = published.quality(ods)
    built = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    records = list(lake.outcomes(ods, unfiled=True))
    data = history(ods, registered.name, records, national, quality, built)
    for suffix, body, kind in (
        (".json", json.dumps(data, indent=2, ensure_ascii=False), "application/json"),
        (".html", render(data), "text/html; charset=utf-8"),
    ):
        s3.put_object(
            Bucket=registered.bucket, Key=HISTORY_KEY + suffix, Body=body.encode(), ContentType=kind
        )
    return True
