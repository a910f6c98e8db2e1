"""When the marts rebuild (declarative automation), as pure conditions with a test each.

- An upload whose blocking contract check passed (an accepted return) triggers a rebuild,
  whatever its month: late returns to old months count like any other.
- A rejected upload triggers nothing: its rows never landed. (Its status reaches
  `submission_status` with the next build.)
- Trusts that have not submitted never hold the build back: missing partitions of the
  submission asset are ignored, unlike `AutomationCondition.eager()`.
- Inside dbt, a model waits while an upstream blocking check (a dbt test of severity
  error) has failed, and nothing builds while an upstream model is in progress.
- The first evaluation builds whatever is missing, so an empty platform has empty marts;
  a build that fails is not retried on every tick (the next accepted return retries it).
"""

import dagster as dg

SUBMISSION = dg.AssetKey("submission")
AC = dg.AutomationCondition


def accepted_upload() -> dg.AutomationCondition:
    """A submission partition updated on this tick with its blocking checks passed."""
    return (
        AC.newly_updated() & AC.all_checks_match(AC.check_passed(), blocking_only=True)
    ).with_label("accepted_upload")


def rebuild_on_new_returns() -> dg.AutomationCondition:
    submissions = dg.AssetSelection.assets(SUBMISSION)
    dbt_deps = dg.AssetSelection.all() - submissions
    upstream_changed = AC.any_deps_match(accepted_upload()).allow(submissions).with_label(
        "accepted_return"
    ) | AC.any_deps_updated().allow(dbt_deps)
    return (
        (AC.newly_missing() | (AC.missing() & AC.initial_evaluation()) | upstream_changed)
        # Reset only when a build is requested. since_last_handled() also resets on the
        # first evaluation (losing the initial build) and on the asset's own update, which
        # would swallow a return that lands while a build is running.
        .since(AC.newly_requested())
        & ~AC.any_deps_missing().allow(dbt_deps)
        # "no parent with a failed blocking check": all_deps_* is false with no parents
        & ~AC.any_deps_match(AC.any_checks_match(AC.check_failed(), blocking_only=True)).allow(
            dbt_deps
        )
        & ~AC.any_deps_in_progress().allow(dbt_deps)
        & ~AC.in_progress()
    ).with_label("rebuild_on_new_returns")
