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
- A return accepted while a build runs is never lost, even when it lands between the
  tick that requested that build and the next one.
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
    triggered = (
        AC.newly_missing()
        | (AC.missing() & AC.initial_evaluation())
        | AC.any_deps_match(accepted_upload()).allow(submissions).with_label("accepted_return")
        # excludes a parent's update by a build that also targeted this model, so the
        # models of one build do not trigger each other again on the next tick
        | AC.any_deps_updated().allow(dbt_deps)
    )
    return (
        # Remembered until a build is requested. since_last_handled() would also reset on
        # the first evaluation (losing the initial build) and on the asset's own update
        # (swallowing a return that lands while a build runs). newly_requested() is true
        # on the tick *after* the request, so a return that landed in between (while the
        # build ran) would lose to that reset: the reset does not count on a tick that
        # has a trigger of its own.
        triggered.since(AC.newly_requested() & ~triggered)
        & ~AC.any_deps_missing().allow(dbt_deps)
        # "no parent with a failed blocking check": all_deps_* is false with no parents
        & ~AC.any_deps_match(AC.any_checks_match(AC.check_failed(), blocking_only=True)).allow(
            dbt_deps
        )
        & ~AC.any_deps_in_progress().allow(dbt_deps)
        & ~AC.in_progress()
    ).with_label("rebuild_on_new_returns")
