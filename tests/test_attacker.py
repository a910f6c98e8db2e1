"""The attacker of tests/attacker.py, tried on serving files made by hand: it must find
what the disclosure control of issues 4-9 gave away (so its silence on the real serving
file means something), and stay sound (never pin a value the truth does not have)."""

from __future__ import annotations

import duckdb

from tests import attacker

RULES = {"required_dimensions": set(), "not_stated_columns": 3, "completeness_columns": 1}


def serving_file(path, headcount_rows, extra: str = ""):
    """A serving file with the trusts, regions and psw_headcount rows given (flags or not)."""
    with duckdb.connect(str(path)) as db:
        db.execute("create schema published")
        db.execute(
            "create table published.trusts as select * from (values "
            "('T1', 'R1'), ('T2', 'R1'), ('T3', 'R2')) t(trust_ods_code, region_code)"
        )
        db.execute(
            "create table published.psw_headcount (period_end date, geography_level varchar, "
            "geography_code varchar, headcount bigint, headcount_flag varchar, joiners bigint, "
            "joiners_flag varchar, leavers bigint, leavers_flag varchar)"
        )
        if headcount_rows:
            db.executemany(
                "insert into published.psw_headcount values ('2025-05-31', ?, ?, ?, ?, ?, ?, ?, ?)",
                headcount_rows,
            )
        if extra:
            db.execute(extra)
    return path


def test_england_minus_its_regions_gives_small_counts_away(tmp_path):
    """The issue's example: England had 3 leavers, the only non-zero region and trusts
    were suppressed and the rest published as 0, so each suppressed count is pinned."""
    rows = [
        ("national", "ENG", 40, "exact", 2, "exact", 3, "exact"),
        ("region", "R1", 30, "rounded", None, "suppressed", None, "suppressed"),
        ("region", "R2", 10, "rounded", 0, "exact", 0, "exact"),
        ("trust", "T1", 20, "rounded", None, "suppressed", None, "suppressed"),
        ("trust", "T2", 10, "rounded", 0, "exact", 0, "exact"),
        ("trust", "T3", 10, "rounded", 0, "exact", 0, "exact"),
    ]
    found = attacker.attack(serving_file(tmp_path / "s.duckdb", rows), **RULES).recovered()
    assert found[attacker.cell("2025-05-31", "trust", "T1", "leavers")] == 3
    assert found[attacker.cell("2025-05-31", "region", "R1", "joiners")] == 2
    # Rounded 40 = 30 + 10 within 2 each: nothing exact about the headcounts.
    assert attacker.cell("2025-05-31", "trust", "T1", "headcount") not in found


def test_a_secondary_flag_says_the_hidden_count_is_not_small(tmp_path):
    """'secondary' tells the reader the count is 0 or at least 8: England's exact 9, all in
    one region, is a suppressed trust (1-7) and a secondary one, so 1 and 8."""
    rows = [
        ("national", "ENG", 9, "exact", None, None, None, None),
        ("region", "R1", 10, "rounded", None, None, None, None),
        ("region", "R2", 0, "exact", None, None, None, None),
        ("trust", "T1", None, "suppressed", None, None, None, None),
        ("trust", "T2", None, "secondary", None, None, None, None),
        ("trust", "T3", 0, "exact", None, None, None, None),
    ]
    attack = attacker.attack(serving_file(tmp_path / "s.duckdb", rows), **RULES)
    found = attack.recovered()
    assert found[attacker.cell("2025-05-31", "trust", "T1", "headcount")] == 1
    assert found[attacker.cell("2025-05-31", "trust", "T2", "headcount")] == 8
    assert not attack.contradictions


def test_perturbed_counts_give_nothing_away_even_where_they_add_up(tmp_path):
    """With published.disclosure_control the same figures are the truth plus noise of up
    to 32: no arithmetic across levels pins any of them."""
    rows = [
        ("national", "ENG", 40, None, 2, None, 3, None),
        ("region", "R1", 30, None, 2, None, 3, None),
        ("region", "R2", 10, None, 0, None, 0, None),
        ("trust", "T1", 20, None, 2, None, 3, None),
        ("trust", "T2", 10, None, 0, None, 0, None),
        ("trust", "T3", 10, None, 0, None, 0, None),
    ]
    method = (
        "create table published.disclosure_control as select * from (values "
        "('method', 'cell_key_perturbation'), ('largest_perturbation', '32')) t(parameter, value)"
    )
    path = serving_file(tmp_path / "s.duckdb", rows, method)
    with duckdb.connect(str(path)) as db:  # perturbed tables have no flag columns
        for column in ("headcount_flag", "joiners_flag", "leavers_flag"):
            db.execute(f"alter table published.psw_headcount drop column {column}")
    attack = attacker.attack(path, **RULES)
    assert attack.recovered() == {}
    leavers = attacker.cell("2025-05-31", "trust", "T1", "leavers")
    assert (attack.low[leavers], attack.high[leavers]) == (1, 35)


def test_the_pay_rule_and_its_sums_are_margins_the_attacker_uses(tmp_path):
    """psw_pay adds margins: a row exists only for a cell with an assignment, pay is
    shown only from 10 true assignments, and a place's bands sum to its `all` cell, as
    its roles to their family. With noise of at most 1 (made weak on purpose), T1's
    `all` cell read 9 with pay shown is 10; band 5 read 0 but present is 1; so band 4
    is 9: the attacker must use every one of these."""
    pay = """
        create table published.disclosure_control as select * from (values
            ('method', 'cell_key_perturbation'), ('largest_perturbation', '1'),
            ('pay_min_assignments', '10')) t(parameter, value);
        create table published.psw_pay as select * from (values
            ('2025-05-31'::date, 'trust', 'T1', 'all', 'all', 9, 25000),
            ('2025-05-31'::date, 'trust', 'T1', 'afc_band', '4', 9, null),
            ('2025-05-31'::date, 'trust', 'T1', 'afc_band', '5', 0, null),
            ('2025-05-31'::date, 'trust', 'T1', 'role_category', 'PSW', 5, null),
            ('2025-05-31'::date, 'trust', 'T1', 'role_category', 'SENIOR_PSW', 4, null),
            ('2025-05-31'::date, 'trust', 'T1', 'role_family', 'PEER_SUPPORT_WORK', 11, 25000)
        ) t(period_end, geography_level, geography_code, breakdown, category, assignments,
            median_salary_fte)
    """
    path = serving_file(tmp_path / "s.duckdb", [], pay)
    with duckdb.connect(str(path)) as db:
        for column in ("headcount_flag", "joiners_flag", "leavers_flag"):
            db.execute(f"alter table published.psw_headcount drop column {column}")
    families = {"PSW": "PEER_SUPPORT_WORK", "SENIOR_PSW": "PEER_SUPPORT_WORK"}
    attack = attacker.attack(path, **RULES, role_families=families)
    found = attack.recovered()

    def pay(breakdown, category):
        return ("pay", "2025-05-31", "trust", "T1", breakdown, category)

    assert found[pay("all", "all")] == 10
    assert found[pay("afc_band", "5")] == 1
    assert found[pay("afc_band", "4")] == 9
    assert found[pay("role_family", "PEER_SUPPORT_WORK")] == 10  # its roles, to all
    assert not attack.contradictions


def test_the_research_tables_margins_are_margins_the_attacker_uses(tmp_path):
    """Issue 22's tables add margins. With noise of at most 1 (weak on purpose): T1's
    cohort read 7 is its headcount a year before, read 5, so 6; its `left` cell read 0
    but present is 1, so `no_change`, the rest of the cohort, is 5; a cross-tabulation
    cell read 5 is at most its one-way cell read 3, so both are 4."""
    tables = """
        create table published.disclosure_control as select * from (values
            ('method', 'cell_key_perturbation'), ('largest_perturbation', '1'))
            t(parameter, value);
        create table published.psw_retention as select * from (values
            ('2026-05-31'::date, 'trust', 'T1', 7, 5, null, null))
            t(period_end, geography_level, geography_code, stability_cohort,
              stability_stayers, turnover_12m_leavers, turnover_12m_mean_headcount);
        create table published.psw_progression as select * from (values
            ('2026-05-31'::date, 'trust', 'T1', 'PEER_SUPPORT_WORK', '4', 'left', 0),
            ('2026-05-31'::date, 'trust', 'T1', 'PEER_SUPPORT_WORK', '4', 'no_change', 5))
            t(period_end, geography_level, geography_code, role_family, afc_band, outcome,
              headcount);
        create table published.psw_role_diversity as select * from (values
            ('2025-05-31'::date, 'trust', 'T1', 'role_family', 'PEER_SUPPORT_WORK', 6),
            ('2025-05-31'::date, 'trust', 'T1', 'role_family', 'SPECIALIST_PEER', 3))
            t(period_end, geography_level, geography_code, dimension, category, headcount);
        create table published.psw_crosstab as select * from (values
            ('2025-05-31'::date, 'trust', 'T1', 'role_family', 'SPECIALIST_PEER',
             'afc_band', '5', 5))
            t(period_end, geography_level, geography_code, row_dimension, row_category,
              col_dimension, col_category, headcount)
    """
    path = serving_file(tmp_path / "s.duckdb", [("trust", "T1", 5, *[None] * 5)], tables)
    with duckdb.connect(str(path)) as db:
        for column in ("headcount_flag", "joiners_flag", "leavers_flag"):
            db.execute(f"alter table published.psw_headcount drop column {column}")
    attack = attacker.attack(path, **RULES)
    found = attack.recovered()
    now, year_before = ("2026-05-31", "trust", "T1"), ("2025-05-31", "trust", "T1")
    assert found[attacker.cell(*now, "stability_cohort")] == 6
    assert found[attacker.cell(*year_before, "headcount")] == 6
    assert found[("prog", *now, "PEER_SUPPORT_WORK", "4", "left")] == 1
    assert found[("prog", *now, "PEER_SUPPORT_WORK", "4", "no_change")] == 5
    cross = ("cross", *year_before, "role_family", "SPECIALIST_PEER", "afc_band", "5")
    assert found[cross] == 4
    assert found[attacker.cell(*year_before, "role_family", "SPECIALIST_PEER")] == 4
    assert not attack.contradictions
