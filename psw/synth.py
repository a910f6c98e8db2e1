"""Realistic synthetic PSW workforce returns, deterministic for a seed.

Each trust's workforce is simulated month by month: people join and leave (a leaver is
reported with a leaving_date in the month they leave, then disappears), some hold two
assignments, many work part time, fixed-term contracts are renewed before they end,
bands follow the role and salaries sit within the band's Agenda for Change range for the
pay year. Clean files pass validation; `--faults` adds one file per kind of fault the
rules catch, with a manifest saying which rule each must trigger.

Staff ids look like `RV3-00042`: never a name, NHS number or NI number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from psw.periods import months, parse_period, period_of, previous_period
from psw.reference import Trust, pay_ranges, pay_year, trusts
from psw.standard import load_standard

ROLE_MIX = {  # role: (weight, {band: weight})
    "PSW": (55, {"3": 4, "4": 6}),
    "SENIOR_PSW": (12, {"4": 5, "5": 5}),
    "PEER_SUPERVISOR": (5, {"5": 5, "6": 5}),
    "PEER_LEAD": (4, {"6": 4, "7": 5, "8a": 1}),
    "LIVED_EXPERIENCE_PRACTITIONER": (6, {"5": 4, "6": 4, "7": 2}),
    "CARER_PEER": (6, {"3": 3, "4": 7}),
    "PEER_TRAINER": (4, {"4": 5, "5": 5}),
    "PEER_NAVIGATOR": (4, {"3": 5, "4": 5}),
    "PEER_RESEARCHER": (2, {"5": 5, "6": 5}),
    "OTHER_PEER": (2, {"3": 3, "4": 4, "5": 3}),
}
JOB_TITLES = {
    "PSW": ["Peer Support Worker", "Peer Support Worker - Community", "Peer Worker"],
    "SENIOR_PSW": ["Senior Peer Support Worker"],
    "PEER_SUPERVISOR": ["Peer Support Coordinator", "Advanced Peer Practitioner"],
    "PEER_LEAD": ["Peer Support Lead", "Head of Peer Support"],
    "LIVED_EXPERIENCE_PRACTITIONER": ["Lived Experience Practitioner"],
    "CARER_PEER": ["Family and Carer Peer Support Worker"],
    "PEER_TRAINER": ["Recovery College Peer Trainer", "Peer Educator"],
    "PEER_NAVIGATOR": ["Peer Navigator"],
    "PEER_RESEARCHER": ["Peer Researcher"],
    "OTHER_PEER": ["Peer Mentor"],
}
SETTINGS = {
    "COMMUNITY": 30,
    "CRISIS": 12,
    "INPATIENT": 15,
    "REHAB": 4,
    "FORENSIC": 4,
    "EARLY_INTERVENTION_PSYCHOSIS": 8,
    "CHILDREN_YOUNG_PEOPLE": 5,
    "PERINATAL": 3,
    "EATING_DISORDERS": 2,
    "OLDER_ADULTS": 3,
    "TALKING_THERAPIES": 3,
    "CRIMINAL_JUSTICE": 2,
    "LEARNING_DISABILITY_AUTISM": 2,
    "RECOVERY_COLLEGE": 4,
    "PRIMARY_CARE": 3,
    "ADDICTIONS": 3,
    "OTHER": 1,
}
ETHNIC = {
    "A": 62,
    "B": 2,
    "C": 6,
    "D": 2,
    "E": 1,
    "F": 1,
    "G": 2,
    "H": 3,
    "J": 3,
    "K": 1,
    "L": 2,
    "M": 4,
    "N": 4,
    "P": 1,
    "R": 1,
    "S": 2,
    "Z": 2,
    "99": 1,
}
GENDER = {"1": 36, "2": 58, "3": 3, "4": 1, "Z": 1, "X": 1}
DISABILITY = {"Y": 28, "N": 62, "Z": 7, "X": 3}
AGE = {"UNDER_25": 8, "25_34": 24, "35_44": 25, "45_54": 23, "55_64": 17, "65_PLUS": 3}
SUPERVISION = {"PEER": 35, "NON_PEER": 30, "BOTH": 30, "NONE": 5}
TRAINING = {
    "NONE": 15,
    "IN_PROGRESS": 20,
    "PSW_COMPETENCE_FRAMEWORK": 35,
    "PEER_WORKER_APPRENTICESHIP_L3": 12,
    "OTHER_ACCREDITED": 18,
}
SECTOR = {"NHS": 85, "VCSE": 10, "LOCAL_AUTHORITY": 3, "INDEPENDENT": 2}
CONTRACT = {"PERMANENT": 70, "FIXED_TERM": 18, "BANK": 6, "SECONDMENT": 3, "APPRENTICE": 3}
FTE = {"1.0": 45, "0.8": 20, "0.6": 15, "0.5": 12, "0.4": 8}
MONTHLY_LEAVE_RATE = 0.015
MONTHLY_JOIN_RATE = 0.025
SECOND_ASSIGNMENT_RATE = 0.05


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class Assignment:
    assignment_id: str
    role: str
    band: str
    fte: str
    contract: str
    fixed_term_end: dt.date | None
    sector: str
    setting: str
    title: str
    salary_point: float | None  # position within the band's range, 0..1; None: not given


@dataclass
class Person:
    staff_id: str
    start: dt.date
    ethnic: str
    gender: str
    disability: str
    age: str
    supervision: str
    training: str
    assignments: list[Assignment] = field(default_factory=list)
    leaving: dt.date | None = None


@dataclass
class SynthOptions:
    trusts: list[str] | None = None
    first_period: str = "2025-04"
    last_period: str = "2026-03"
    seed: int = 1
    staff_per_trust: int | None = None
    file_format: str = "csv"
    faults: bool = False
    rows: int | None = None


class TrustWorkforce:
    """One trust's simulated workforce, advanced a month at a time."""

    def __init__(
        self, trust: Trust, seed: int, first_period_end: dt.date, staff: int | None = None
    ):
        self.trust = trust
        self.rng = random.Random(f"{seed}:{trust.ods_code}")
        self.uk_dates = self.rng.random() < 0.3  # some trusts' spreadsheets write DD/MM/YYYY
        self.next_number = 1
        size = staff if staff is not None else self.rng.randint(20, 150)
        self.people: list[Person] = [
            self._new_person(first_period_end, veteran=True) for _ in range(size)
        ]
        self.period_end = first_period_end

    def _new_person(self, period_end: dt.date, veteran: bool) -> Person:
        rng = self.rng
        if veteran:
            start = period_end - dt.timedelta(days=rng.randint(30, 365 * 8))
        else:
            start = period_end.replace(day=rng.randint(1, period_end.day))
        person = Person(
            staff_id=f"{self.trust.ods_code}-{self.next_number:05d}",
            start=start,
            ethnic=_pick(rng, ETHNIC),
            gender=_pick(rng, GENDER),
            disability=_pick(rng, DISABILITY),
            age=_pick(rng, AGE),
            supervision=_pick(rng, SUPERVISION),
            training=_pick(rng, TRAINING),
        )
        self.next_number += 1
        person.assignments.append(self._new_assignment("1", period_end))
        if rng.random() < SECOND_ASSIGNMENT_RATE:
            first = person.assignments[0]
            first.fte = "0.5"
            second = self._new_assignment("2", period_end)
            second.fte = rng.choice(["0.2", "0.3", "0.4"])
            person.assignments.append(second)
        return person

    def _new_assignment(self, assignment_id: str, period_end: dt.date) -> Assignment:
        rng = self.rng
        role = rng.choices(list(ROLE_MIX), weights=[w for w, _ in ROLE_MIX.values()])[0]
        sector = _pick(rng, SECTOR)
        band = _pick(rng, ROLE_MIX[role][1])
        if sector != "NHS" and rng.random() < 0.5:
            band = "NON_AFC"
        contract = _pick(rng, CONTRACT)
        fixed_end = None
        if contract == "FIXED_TERM":
            fixed_end = period_end + dt.timedelta(days=rng.randint(60, 720))
        return Assignment(
            assignment_id=assignment_id,
            role=role,
            band=band,
            fte=_pick(rng, FTE),
            contract=contract,
            fixed_term_end=fixed_end,
            sector=sector,
            setting=_pick(rng, SETTINGS),
            title=rng.choice(JOB_TITLES[role]),
            salary_point=None if rng.random() < 0.1 else rng.random(),
        )

    def advance(self, period_end: dt.date) -> None:
        """Move to the next month: last month's leavers go, some leave, some join."""
        rng = self.rng
        self.people = [p for p in self.people if p.leaving is None]
        for person in self.people:
            if rng.random() < MONTHLY_LEAVE_RATE:
                person.leaving = period_end.replace(day=rng.randint(1, period_end.day))
            for a in person.assignments:
                if a.fixed_term_end is not None and a.fixed_term_end <= period_end:
                    a.fixed_term_end = a.fixed_term_end + dt.timedelta(days=365)  # renewed
        joiners = sum(rng.random() < MONTHLY_JOIN_RATE for _ in range(max(len(self.people), 20)))
        self.people.extend(self._new_person(period_end, veteran=False) for _ in range(joiners))
        self.period_end = period_end

    def rows(self) -> list[dict[str, object]]:
        """This month's return as typed rows (dates as date, numbers as float or None)."""
        table = pay_ranges().get(pay_year(self.period_end)) or pay_ranges()[max(pay_ranges())]
        out = []
        for p in self.people:
            for a in p.assignments:
                salary = None
                if a.salary_point is not None and a.band in table:
                    r = table[a.band]
                    salary = float(round(r.min_gbp + a.salary_point * (r.max_gbp - r.min_gbp)))
                elif a.salary_point is not None:
                    salary = float(round(24000 + a.salary_point * 16000))
                out.append(
                    {
                        "trust_ods_code": self.trust.ods_code,
                        "reporting_period_end": self.period_end,
                        "staff_id": p.staff_id,
                        "assignment_id": a.assignment_id,
                        "role_category": a.role,
                        "local_job_title": a.title,
                        "afc_band": a.band,
                        "fte": float(a.fte),
                        "annual_salary_fte_gbp": salary,
                        "contract_type": a.contract,
                        "fixed_term_end_date": a.fixed_term_end,
                        "employing_sector": a.sector,
                        "service_setting": a.setting,
                        "start_date_in_role": p.start,
                        "leaving_date": p.leaving,
                        "ethnic_category": p.ethnic,
                        "gender_identity": p.gender,
                        "disability": p.disability,
                        "age_band": p.age,
                        "peer_supervision": p.supervision,
                        "training": p.training,
                    }
                )
        return out


def simulate(
    trust: Trust, periods: list[str], seed: int, staff: int | None = None
) -> Iterator[tuple[str, list[dict[str, object]]]]:
    """(period, rows) for each month, the workforce carried from one month to the next."""
    workforce: TrustWorkforce | None = None
    for period in periods:
        end = parse_period(period)
        if workforce is None:
            workforce = TrustWorkforce(trust, seed, end, staff)
        else:
            workforce.advance(end)
        yield period, workforce.rows()


def rows_of_size(trust: Trust, period: str, seed: int, count: int) -> list[dict[str, object]]:
    """Exactly `count` rows for one trust and month (for benchmarks and size limits)."""
    workforce = TrustWorkforce(trust, seed, parse_period(period), staff=0)
    rows: list[dict[str, object]] = []
    while len(rows) < count:
        workforce.people = [
            workforce._new_person(workforce.period_end, veteran=True)
            for _ in range(min(1000, count))
        ]
        rows.extend(workforce.rows())
    return rows[:count]


# ---- writing ---------------------------------------------------------------------------


def _text(value: object, uk_dates: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y") if uk_dates else value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def to_csv_bytes(
    rows: list[dict[str, object]], columns: list[str] | None = None, uk_dates: bool = False
) -> bytes:
    columns = columns or load_standard().column_names
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_text(row.get(c), uk_dates) for c in columns])
    return buffer.getvalue().encode("utf-8")


def to_xlsx_bytes(rows: list[dict[str, object]], columns: list[str] | None = None) -> bytes:
    import openpyxl

    columns = columns or load_standard().column_names
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("PSW return")
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c) for c in columns])  # real date and number cells
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_parquet_bytes(rows: list[dict[str, object]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    standard = load_standard()
    types = {"text": pa.string(), "code": pa.string(), "date": pa.date32(), "decimal": pa.float64()}
    table = pa.table(
        {
            c.name: pa.array([r.get(c.name) for r in rows], type=types[c.type])
            for c in standard.columns
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def encode(rows: list[dict[str, object]], file_format: str, uk_dates: bool = False) -> bytes:
    if file_format == "xlsx":
        return to_xlsx_bytes(rows)
    if file_format == "parquet":
        return to_parquet_bytes(rows)
    return to_csv_bytes(rows, uk_dates=uk_dates)


def return_key(trust: Trust, period: str, file_format: str) -> str:
    return f"returns/{period}/{trust.ods_code}_PSW_{period}.{file_format}"


def write_synthetic(
    out: Path, options: SynthOptions, progress: Callable[[str], None] | None = None
) -> list[Path]:
    """Write returns to out/<bucket>/returns/<YYYY-MM>/..., and faults to out/faults/."""
    registry = trusts()
    codes = options.trusts or list(registry)
    unknown = [c for c in codes if c not in registry]
    if unknown:
        raise SystemExit(f"psw synth: not registered trusts: {', '.join(unknown)}")
    periods = months(options.first_period, options.last_period)
    written: list[Path] = []

    def write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)

    if options.rows is not None:
        trust = registry[codes[0]]
        rows = rows_of_size(trust, periods[-1], options.seed, options.rows)
        write(
            out / trust.bucket / return_key(trust, periods[-1], options.file_format),
            encode(rows, options.file_format),
        )
        return written

    for i, code in enumerate(codes, start=1):
        trust = registry[code]
        uk = TrustWorkforce(trust, options.seed, parse_period(periods[0]), 0).uk_dates
        for period, rows in simulate(trust, periods, options.seed, options.staff_per_trust):
            write(
                out / trust.bucket / return_key(trust, period, options.file_format),
                encode(rows, options.file_format, uk_dates=uk),
            )
        if progress and (i % 10 == 0 or i == len(codes)):
            progress(f"# {i}/{len(codes)} trusts written")
    if options.faults:
        written.extend(write_faults(out / "faults", registry[codes[0]], periods, options.seed))
    return written


# ---- faults ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    name: str  # file stem; starts with the rule id it must trigger
    rule_id: str
    expected_status: str
    period: str
    data: bytes
    trust: str = ""
    previous: str | None = None  # file name of the previous return, for history rules
    # Findings the fault brings with it by nature, and only those (tests/test_rules.py
    # asserts the file triggers exactly rule_id and these).
    also: tuple[str, ...] = ()


def _mutate(rows: list[dict], index: int, **changes) -> list[dict]:
    out = [dict(r) for r in rows]
    out[index].update(changes)
    return out


def build_faults(trust: Trust, periods: list[str], seed: int) -> tuple[list[Fault], bytes]:
    """One faulty file per kind of fault, from a clean return; and the clean previous month."""
    if len(periods) < 2:
        periods = [period_of(previous_period(parse_period(periods[0]))), periods[0]]
    history = list(simulate(trust, periods[-2:], seed, staff=40))
    (prev_period, prev_rows), (period, rows) = history
    end = parse_period(period)
    standard = load_standard()
    columns = standard.column_names
    csv_ = to_csv_bytes
    rng = random.Random(seed)
    f: list[Fault] = []

    def add(name, rule, status, data, period_=period, previous=None, also=()):
        f.append(Fault(name, rule, status, period_, data, trust.ods_code, previous, also))

    # file level
    add(
        "FILE_UNREADABLE-binary",
        "FILE_UNREADABLE",
        "rejected",
        bytes(rng.randrange(256) for _ in range(4096)) + b"\x00\x00",
    )
    add(
        "FILE_UNREADABLE-prose",
        "FILE_UNREADABLE",
        "rejected",
        b"Hi team,\r\nPlease find our PSW numbers for this month attached.\r\nThanks, Sam\r\n",
    )
    add(
        "FILE_UNREADABLE-pdf",
        "FILE_UNREADABLE",
        "rejected",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
    )
    add("FILE_EMPTY", "FILE_EMPTY", "rejected", b"")
    big_header = csv_([], columns)
    add(
        "FILE_TOO_LARGE",
        "FILE_TOO_LARGE",
        "rejected",
        big_header + b" " * (standard.max_bytes + 1 - len(big_header)),
    )
    add(
        "FILE_TOO_MANY_ROWS",
        "FILE_TOO_MANY_ROWS",
        "rejected",
        csv_(rows_of_size(trust, period, seed, standard.max_rows + 1)),
    )
    add(
        "HEADER_DUPLICATE_COLUMN",
        "HEADER_DUPLICATE_COLUMN",
        "rejected",
        csv_(rows, [*columns, "FTE"]),
    )
    add(
        "HEADER_MISSING_COLUMN",
        "HEADER_MISSING_COLUMN",
        "rejected",
        csv_(rows, [c for c in columns if c != "training"]),
    )
    names = [dict(r, surname=rng.choice(["Smith", "Jones", "Patel", "Okafor"])) for r in rows]
    add(
        "PERSONAL_DATA_COLUMN",
        "PERSONAL_DATA_COLUMN",
        "rejected",
        csv_(names, [*columns, "surname"]),
    )
    add(
        "PERSONAL_DATA_NHS_NUMBER",
        "PERSONAL_DATA_NHS_NUMBER",
        "rejected",
        csv_(_mutate(rows, 3, local_job_title="Peer Support Worker 943 476 5919")),
    )
    add(
        "PERSONAL_DATA_NI_NUMBER",
        "PERSONAL_DATA_NI_NUMBER",
        "rejected",
        csv_(_mutate(rows, 5, local_job_title="Peer Support Worker NI JK 12 34 56 C")),
    )
    add(
        "PERSONAL_DATA_DATE_OF_BIRTH",
        "PERSONAL_DATA_DATE_OF_BIRTH",
        "rejected",
        csv_(_mutate(rows, 4, local_job_title="Peer Support Worker (Jane Smith, DOB 01/02/1980)")),
    )
    future = dt.date.today().replace(day=28) + dt.timedelta(days=40)
    future_period = period_of(future)
    future_end = parse_period(future_period)
    moved = [
        dict(
            r,
            reporting_period_end=future_end,
            # Still after the period end, so the file breaks only the date rule ...
            fixed_term_end_date=r["fixed_term_end_date"] and future_end + dt.timedelta(days=90),
        )
        for r in rows
    ]
    add(
        "PERIOD_IN_FUTURE",
        "PERIOD_IN_FUTURE",
        "rejected",
        csv_(moved),
        period_=future_period,
        # ... and a month with no published pay scales yet cannot have its pay checked.
        also=("SALARY_CHECK_NOT_APPLIED",),
    )
    # contract
    overlong = csv_(rows).split(b"\r\n")
    overlong[4] += b",surplus"
    add("ROW_TOO_MANY_VALUES", "ROW_TOO_MANY_VALUES", "rejected", b"\r\n".join(overlong))
    add("VALUE_REQUIRED", "VALUE_REQUIRED", "rejected", csv_(_mutate(rows, 2, role_category=None)))
    add("TEXT_FORMAT", "TEXT_FORMAT", "rejected", csv_(_mutate(rows, 2, staff_id="AB 12")))
    add(
        "TEXT_TOO_LONG",
        "TEXT_TOO_LONG",
        "rejected",
        csv_(_mutate(rows, 2, local_job_title="Peer Support Worker " * 8)),
    )
    add(
        "CODE_INVALID",
        "CODE_INVALID",
        "rejected",
        csv_(_mutate(rows, 2, role_category="PEER_WORKER")),
    )
    add(
        "DATE_INVALID",
        "DATE_INVALID",
        "rejected",
        csv_(_mutate(rows, 2, start_date_in_role="31/02/2024")),
    )
    add("NUMBER_INVALID", "NUMBER_INVALID", "rejected", csv_(_mutate(rows, 2, fte="full time")))
    add(
        "SALARY_NOT_A_NUMBER",
        "SALARY_NOT_A_NUMBER",
        "accepted_with_warnings",
        csv_(_mutate(rows, 2, annual_salary_fte_gbp="see payroll")),
    )
    other = next(c for c in trusts() if c != trust.ods_code)
    add(
        "TRUST_MISMATCH", "TRUST_MISMATCH", "rejected", csv_(_mutate(rows, 2, trust_ods_code=other))
    )
    add(
        "PERIOD_NOT_MONTH_END",
        "PERIOD_NOT_MONTH_END",
        "rejected",
        csv_(_mutate(rows, 2, reporting_period_end=end.replace(day=15))),
    )
    add(
        "PERIOD_MISMATCH",
        "PERIOD_MISMATCH",
        "rejected",
        csv_(_mutate(rows, 2, reporting_period_end=previous_period(end))),
    )
    add("FTE_OUT_OF_RANGE", "FTE_OUT_OF_RANGE", "rejected", csv_(_mutate(rows, 2, fte=1.2)))
    add("ASSIGNMENT_DUPLICATE", "ASSIGNMENT_DUPLICATE", "rejected", csv_([*rows, rows[4]]))
    add(
        "FIXED_TERM_END_REQUIRED",
        "FIXED_TERM_END_REQUIRED",
        "rejected",
        csv_(_mutate(rows, 2, contract_type="FIXED_TERM", fixed_term_end_date=None)),
    )
    add(
        "FIXED_TERM_END_NOT_AFTER_PERIOD",
        "FIXED_TERM_END_NOT_AFTER_PERIOD",
        "rejected",
        csv_(_mutate(rows, 2, contract_type="FIXED_TERM", fixed_term_end_date=end.replace(day=1))),
    )
    add(
        "START_DATE_AFTER_PERIOD",
        "START_DATE_AFTER_PERIOD",
        "rejected",
        csv_(_mutate(rows, 2, start_date_in_role=end + dt.timedelta(days=3))),
    )
    add(
        "START_DATE_TOO_EARLY",
        "START_DATE_TOO_EARLY",
        "rejected",
        csv_(_mutate(rows, 2, start_date_in_role=dt.date(1985, 5, 1))),
    )
    add(
        "LEAVING_DATE_OUTSIDE_MONTH",
        "LEAVING_DATE_OUTSIDE_MONTH",
        "rejected",
        csv_(_mutate(rows, 2, leaving_date=end + dt.timedelta(days=5))),
    )
    # quality (warnings)
    add(
        "SALARY_OUTSIDE_BAND",
        "SALARY_OUTSIDE_BAND",
        "accepted_with_warnings",
        csv_(_mutate(rows, 2, afc_band="4", role_category="PSW", annual_salary_fte_gbp=99999.0)),
    )
    add(
        "ROLE_BAND_ATYPICAL",
        "ROLE_BAND_ATYPICAL",
        "accepted_with_warnings",
        csv_(_mutate(rows, 2, role_category="PSW", afc_band="7", annual_salary_fte_gbp=None)),
    )
    unstated = [dict(r, ethnic_category="Z") if i % 3 == 0 else r for i, r in enumerate(rows)]
    add(
        "ETHNICITY_NOT_STATED_HIGH",
        "ETHNICITY_NOT_STATED_HIGH",
        "accepted_with_warnings",
        csv_(unstated),
    )
    add(
        "UNKNOWN_COLUMN",
        "UNKNOWN_COLUMN",
        "accepted_with_warnings",
        csv_([dict(r, team_colour="green") for r in rows], [*columns, "team_colour"]),
    )
    # a month whose pay year has no pay table yet: accepted, with a note
    no_table = _first_month_without_pay_table()
    later = list(simulate(trust, [no_table], seed, staff=20))[0][1]
    add(
        "SALARY_CHECK_NOT_APPLIED",
        "SALARY_CHECK_NOT_APPLIED",
        "accepted",
        csv_(later),
        period_=no_table,
    )
    # history (warnings; need the previous month)
    prev_name = "previous.csv"
    in_post = [r for r in rows if r["leaving_date"] is None]
    going = {r["staff_id"] for r in in_post[: int(len(in_post) * 0.4)]}
    swing = [dict(r, leaving_date=end) if r["staff_id"] in going else r for r in rows]
    add(
        "HEADCOUNT_SWING",
        "HEADCOUNT_SWING",
        "accepted_with_warnings",
        csv_(swing),
        previous=prev_name,
    )
    prev_in_post = [r["staff_id"] for r in prev_rows if r["leaving_date"] is None]
    vanished = next(s for s in prev_in_post if any(r["staff_id"] == s for r in rows))
    add(
        "LEAVER_NOT_REPORTED",
        "LEAVER_NOT_REPORTED",
        "accepted_with_warnings",
        csv_([r for r in rows if r["staff_id"] != vanished]),
        previous=prev_name,
    )
    return f, csv_(prev_rows)


def _first_month_without_pay_table() -> str:
    latest = max(pay_ranges())  # "2025/26"
    return f"{int(latest[:4]) + 1}-04"


def write_faults(folder: Path, trust: Trust, periods: list[str], seed: int) -> list[Path]:
    faults, previous = build_faults(trust, periods, seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "previous.csv").write_bytes(previous)
    written = [folder / "previous.csv"]
    manifest = []
    for fault in faults:
        path = folder / f"{fault.name}.csv"
        path.write_bytes(fault.data)
        written.append(path)
        manifest.append(
            {
                "file": path.name,
                "rule_id": fault.rule_id,
                "trust": fault.trust,
                "period": fault.period,
                "previous": fault.previous,
                "expected_status": fault.expected_status,
                "also": list(fault.also),
            }
        )
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    written.append(folder / "manifest.json")
    return written


__all__ = [
    "SynthOptions",
    "TrustWorkforce",
    "build_faults",
    "encode",
    "simulate",
    "write_synthetic",
]
