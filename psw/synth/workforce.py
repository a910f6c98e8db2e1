"""A trust's simulated PSW workforce, month by month, deterministic for a seed.

People join and leave (a leaver is reported with a leaving_date in the month they leave,
then disappears), some hold two assignments, many work part time, fixed-term contracts
are renewed before they end, bands follow the role and salaries sit within the band's
Agenda for Change range for the pay year. Careers move (issue 22): each month a few people
are promoted (a band up in their role, or the next role up the peer ladder), change to
another role at their band, or take a post a band lower; on the anniversary of their start
they move up their band's pay range, and the pay year's table brings the annual award each
April. Career events draw from a random stream of their own, so who joins and leaves is the
same as before careers were simulated. Every month's rows pass validation.

Staff ids look like `RV3-00042`: never a name, NHS number or NI number.

One module (about 335 lines): the weights, the people and the month's moves are one
simulation; apart, each would need the others to be read.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from psw.core.periods import parse_period
from psw.standard.reference import Trust, pay_ranges, pay_year

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
BANDS = ["2", "3", "4", "5", "6", "7", "8a", "8b", "8c", "8d", "9"]
LADDER = {  # the next role up for a promotion out of a role (else a band up in it)
    "PSW": "SENIOR_PSW",
    "CARER_PEER": "SENIOR_PSW",
    "PEER_NAVIGATOR": "SENIOR_PSW",
    "SENIOR_PSW": "PEER_SUPERVISOR",
    "PEER_SUPERVISOR": "PEER_LEAD",
}
MONTHLY_PROMOTION_RATE = 0.01
MONTHLY_ROLE_CHANGE_RATE = 0.004
MONTHLY_BAND_DOWN_RATE = 0.001
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


class TrustWorkforce:
    """One trust's simulated workforce, advanced a month at a time."""

    def __init__(
        self, trust: Trust, seed: int, first_period_end: dt.date, staff: int | None = None
    ):
        self.trust = trust
        self.rng = random.Random(f"{seed}:{trust.ods_code}")
        self.careers = random.Random(f"{seed}:{trust.ods_code}:careers")
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
            if person.leaving is None:
                self._move_career(person, period_end)
        joiners = sum(rng.random() < MONTHLY_JOIN_RATE for _ in range(max(len(self.people), 20)))
        self.people.extend(self._new_person(period_end, veteran=False) for _ in range(joiners))
        self.period_end = period_end

    def _move_career(self, person: Person, period_end: dt.date) -> None:
        """This month's career event for a person staying, if any, on their first
        assignment (the larger when they hold two)."""
        draw, job = self.careers.random(), person.assignments[0]
        if period_end.month == person.start.month and job.salary_point is not None:
            job.salary_point = min(1.0, job.salary_point + self.careers.uniform(0.15, 0.35))
        if job.band == "NON_AFC":
            return
        lateral = MONTHLY_PROMOTION_RATE + MONTHLY_ROLE_CHANGE_RATE
        if draw < MONTHLY_PROMOTION_RATE:
            self._promote(job)
        elif draw < lateral:
            others = [r for r, (_, b) in ROLE_MIX.items() if r != job.role and job.band in b]
            if others:
                self._take_role(job, self.careers.choice(others), job.band)
        elif draw < lateral + MONTHLY_BAND_DOWN_RATE and BANDS.index(job.band) > 0:
            self._take_role(job, job.role, BANDS[BANDS.index(job.band) - 1])

    def _promote(self, job: Assignment) -> None:
        higher = [b for b in ROLE_MIX[job.role][1] if BANDS.index(b) > BANDS.index(job.band)]
        if higher:
            self._take_role(job, job.role, higher[0])
        elif job.role in LADDER:
            role = LADDER[job.role]
            bands = [b for b in ROLE_MIX[role][1] if BANDS.index(b) > BANDS.index(job.band)]
            self._take_role(job, role, bands[0] if bands else job.band)

    def _take_role(self, job: Assignment, role: str, band: str) -> None:
        if role != job.role:
            job.title = self.careers.choice(JOB_TITLES[role])
        if band != job.band and job.salary_point is not None:
            job.salary_point = self.careers.uniform(0.0, 0.2)  # the new band's first points
        job.role, job.band = role, band

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
