"""Validate one return: read, file rules, pandera contract, Great Expectations, one report.

This is the one library behind `psw validate` on a trust's machine and the platform's
ingestion. Stages run in order and each adds findings; the trust gets every problem in
one report wherever the file could be read at all.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import pyarrow as pa

from psw.core.periods import previous_period
from psw.standard.model import Standard, load_standard
from psw.standard.validation import personal, shown
from psw.standard.validation.contract import run_contract
from psw.standard.validation.quality import PreviousReturn, in_post
from psw.standard.validation.reading import RawReturn, UnreadableFile, read_return
from psw.standard.validation.report import Finding, Report
from psw.standard.validation.rules import Context, Hit, checks, wording
from psw.standard.validation.typed import to_arrow, typed_frame

StaffKey = Callable[[pd.Series], pd.Series]


@dataclass
class ValidationResult:
    report: Report
    # The typed return (raw staff ids, in memory only) when accepted; None when rejected.
    table: pa.Table | None = None
    timings: dict[str, float] = field(default_factory=dict)


def validate_return(
    source: Path | str | bytes,
    *,
    trust_ods_code: str,
    period_end: dt.date,
    file_name: str | None = None,
    previous: PreviousReturn | Callable[[], PreviousReturn | None] | None = None,
    staff_key: StaffKey | None = None,
    today: dt.date | None = None,
    standard: Standard | None = None,
) -> ValidationResult:
    """Validate a return for a trust and month.

    previous:  the trust's previous accepted return, for the history rules; or a function
               that gives it, called only when the history rules run (intake's workers
               read and check a month while the month before it is still landing).
    staff_key: maps this file's staff ids into the form `previous` uses (the platform's
               keyed hash); identity when omitted.
    """
    standard = standard or load_standard()
    ctx = Context(
        trust_ods_code.upper(),
        period_end,
        dt.date.fromisoformat(standard.limits["earliest_start_date"]),
        today or dt.date.today(),
    )
    name = file_name or (Path(source).name if not isinstance(source, bytes) else "upload")
    findings = _Findings(standard, ctx)
    timings: dict[str, float] = {}

    def report(
        raw: RawReturn | None = None, staff_in_post: int = 0, counted: tuple[int, int] = (0, 0)
    ) -> Report:
        rows = raw.row_count if raw else 0
        return Report(
            trust_ods_code=ctx.trust_ods_code,
            period=ctx.period,
            file_name=name,
            standard_version=standard.version,
            findings=findings.finish(raw),
            rows=rows,
            staff_in_post=staff_in_post,
            values_given=counted[0],
            values_not_stated=counted[1],
            nil_return=raw is not None and rows == 0,
            max_findings_listed=int(standard.limits["max_findings_listed"]),
        )

    for check in checks("file", standard):
        if check.options["before_reading"]:
            findings.extend(check.function(ctx, standard))

    started = time.perf_counter()
    try:
        raw = read_return(source, standard.max_bytes, standard.max_rows)
    except UnreadableFile as exc:
        findings.add(exc.rule_id, detail=exc.detail)
        return ValidationResult(report(), None, {"read": time.perf_counter() - started})
    timings["read"] = time.perf_counter() - started

    if not set(raw.columns) & set(standard.column_names):
        findings.add(
            "FILE_UNREADABLE",
            detail=(
                "row 1 has none of the column names of the standard, so this does not look like "
                "a PSW workforce return"
            ),
        )
        return ValidationResult(report(raw), None, timings)

    started = time.perf_counter()
    try:
        _file_rules(standard, ctx, raw, findings)
    except personal.ScanTooLong:  # built to be slow to check: refused, nothing more read
        findings.add(
            "FILE_UNREADABLE",
            detail=f"checking it for personal data took over {personal.SCAN_SECONDS:.0f} s",
        )
        return ValidationResult(report(raw), None, timings)
    findings.extend(run_contract(standard, ctx, raw.frame))
    findings.explain_duplicates(raw.frame)
    timings["contract"] = time.perf_counter() - started

    typed = typed_frame(standard, raw.frame)

    # A file with personal data is answered with its errors alone: it must be fixed and sent
    # again anyway, and its data is read no further than it must be (this also keeps a
    # hostile file's answer to seconds: the warning checks load Great Expectations).
    if not findings.has_personal_data:
        if callable(previous):
            previous = previous()
        started = time.perf_counter()
        findings.extend(
            _quality(standard, ctx, findings.personal_columns, typed, previous, staff_key)
        )
        timings["quality"] = time.perf_counter() - started

    result = report(raw, len(_in_post(typed)), _quality_counts(standard, typed))
    table = to_arrow(standard, typed) if result.accepted else None
    return ValidationResult(result, table, timings)


def _file_rules(standard: Standard, ctx: Context, raw: RawReturn, findings: _Findings) -> None:
    # A column name that is itself personal data is masked before any check can quote it.
    masked = personal.mask_personal_headers(raw)
    findings.normalised = {written: name for name, written in raw.original_names.items()}
    for rule_id, column in masked:
        findings.extend([Hit(rule_id, row=1, column=column, personal="column")])
    for check in checks("file", standard):
        if not check.options["before_reading"]:
            findings.extend(check.function(raw, ctx, standard))
    until = time.process_time() + personal.SCAN_SECONDS  # one budget for every sheet
    for frame in (raw.frame, *raw.other_sheets.values()):
        for rule_id, row, column in personal.scan_values(frame, until):
            findings.extend([Hit(rule_id, row=row, column=column, personal="cell")])


def _quality_counts(standard: Standard, typed: pd.DataFrame) -> tuple[int, int]:
    """What the data-quality measure counts of a return (`data_quality` in the standard):
    values given in its optional columns, and coded values that are not stated. Kept in
    the ledger, so a trust's history shows its own score exactly."""
    quality = standard.data_quality
    given = sum(int(typed[c].notna().sum()) for c in quality.completeness_columns if c in typed)
    not_stated = 0
    for name in quality.not_stated_columns:
        if name in typed:
            codes = standard.code_lists[standard.column(name).code_list]
            not_stated += int(typed[name].isin([c.code for c in codes if c.not_stated]).sum())
    return given, not_stated


def _in_post(typed: pd.DataFrame) -> dict[str, int]:
    if "staff_id" not in typed.columns:
        return {}
    leaving = typed["leaving_date"] if "leaving_date" in typed.columns else [None] * len(typed)
    return in_post(typed["staff_id"], leaving, typed.index)


def _quality(standard, ctx, personal_columns, typed, previous, staff_key) -> list[Hit]:
    from psw.standard.validation.suites import run_suites

    # Personal-data columns are already errors; they are not "unknown columns" as well.
    frame = typed.drop(columns=sorted(personal_columns))
    if previous is not None and staff_key is not None and "staff_id" in frame.columns:
        frame["staff_id"] = staff_key(frame["staff_id"])
    leaver_check = previous is not None and previous.period_end == previous_period(ctx.period_end)
    return run_suites(standard, ctx, frame, previous, leaver_check=leaver_check)


class _Findings:
    """Collects findings, formats messages from the standard, and keeps personal values out."""

    def __init__(self, standard: Standard, ctx: Context):
        self.standard = standard
        self.ctx = ctx
        self.items: list[Finding] = []
        self.personal_columns: set[str] = set()
        self.normalised: dict[str, str] = {}  # a column name as written -> as read
        self.personal_cells: set[tuple[int, str]] = set()

    def add(
        self,
        rule_id: str,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
        **placeholders: str,
    ) -> None:
        """One finding, worded by its message in the standard and its check's wording."""
        rule = self.standard.rule(rule_id)
        values = {"column": column or "", "detail": "", "expected": "", "allowed": ""}
        words, spec = wording(rule_id), self.standard.find_column(column)
        if words and spec:
            values.update(words(self.ctx, spec, self.standard))
        values.update({k: v for k, v in placeholders.items() if v})
        self.items.append(
            Finding(rule_id, rule.severity, rule.message.format(**values), row, column, value)
        )

    @property
    def has_personal_data(self) -> bool:
        return any(f.rule_id.startswith("PERSONAL_DATA_") for f in self.items)

    def extend(self, hits: Iterable[Hit]) -> None:
        for hit in hits:
            if hit.personal == "column" and hit.column:  # named as the trust wrote it
                self.personal_columns.add(self.normalised.get(hit.column, hit.column))
            elif hit.personal == "cell" and hit.row is not None and hit.column:
                self.personal_cells.add((hit.row, hit.column))
            self.add(hit.rule_id, hit.row, hit.column, hit.value, **hit.placeholders)

    def explain_duplicates(self, frame: pd.DataFrame) -> None:
        """Name the rows that share a (staff_id, assignment_id), without quoting the id."""
        dupes = [f for f in self.items if f.rule_id == "ASSIGNMENT_DUPLICATE"]
        if not dupes:
            return
        keys = frame[["staff_id", "assignment_id"]]
        groups = {
            row: rows
            for rows in keys[keys.duplicated(keep=False)]
            .groupby(["staff_id", "assignment_id"])
            .groups.values()
            for row in rows
        }
        self.items = [f for f in self.items if f.rule_id != "ASSIGNMENT_DUPLICATE"]
        for f in dupes:
            rows = ", ".join(str(r) for r in sorted(groups.get(f.row, [f.row])))
            self.add("ASSIGNMENT_DUPLICATE", row=f.row, column=f.column, detail=rows)

    def finish(self, raw: RawReturn | None) -> list[Finding]:
        """What the report may repeat (psw/standard/validation/shown.py): a value only when it is
        known to be safe and not in a sensitive or personal column or cell (else "value
        withheld"), a column name only when it is the standard's or plain (else its
        position)."""
        sensitive = {c.name for c in self.standard.columns if c.sensitive}
        originals = raw.original_names if raw else {}
        personal_names = self.personal_columns | {
            originals.get(c, c) for c in self.personal_columns
        }
        out = []
        for f in self.items:
            normalised = self.normalised.get(f.column or "", f.column)
            value, withheld = f.value, f.value_withheld
            if value is not None and (
                f.column in sensitive
                or f.column in personal_names
                or (f.row, f.column) in self.personal_cells
                or not shown.safe_value(self.standard, normalised, value)
            ):
                value, withheld = None, True
            column = self._column_shown(f.column, raw)
            if (value, withheld, column) != (f.value, f.value_withheld, f.column):
                f = replace(f, value=value, value_withheld=withheld, column=column)
            out.append(f)
        return out

    def _column_shown(self, column: str | None, raw: RawReturn | None) -> str | None:
        """A column as the report names it: as written when that is safe to repeat, else
        by its position in row 1."""
        if column is None or column.startswith("(column ") or raw is None:
            return column
        if any(column in frame.columns for frame in raw.other_sheets.values()):
            return column  # "sheet 2, hidden, column C": the platform's own words
        normalised = self.normalised.get(column, column)
        written = raw.original_names.get(normalised, column)
        if shown.safe_column_name(self.standard, written, normalised):
            return column
        if normalised in raw.columns:
            return f"(column {raw.columns.index(normalised) + 1}: name not shown)"
        return "(a column: name not shown)"


def previous_from_file(source: Path | str | bytes) -> PreviousReturn:
    """The previous accepted return from its file, for `psw validate --previous`.

    Its month is the one most rows give as reporting_period_end.
    """
    standard = load_standard()
    raw = read_return(source, standard.max_bytes, standard.max_rows)
    missing = {"staff_id", "reporting_period_end"} - set(raw.columns)
    if missing:
        raise UnreadableFile("HEADER_MISSING_COLUMN", ", ".join(sorted(missing)))
    typed = typed_frame(standard, raw.frame)
    ends = typed["reporting_period_end"].dropna()
    if ends.empty:
        raise UnreadableFile("FILE_EMPTY", "it has no reporting_period_end to tell its month")
    period_end = ends.mode().iloc[0].date()
    return PreviousReturn(period_end, _in_post(typed))
