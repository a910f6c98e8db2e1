"""The return validation library: one code path for `psw validate` and the platform.

Importing this package does not import Great Expectations; that happens only when a
return is actually validated (see `suites.run_suites`).
"""

# The modules that register the checks, imported by the package (which Python runs before
# any of its modules) so that every check is registered before the registry is read,
# without the registry importing the modules that import it.
from psw.standard.validation import column_rules, file_rules, personal, quality  # noqa: F401
from psw.standard.validation.engine import ValidationResult, previous_from_file, validate_return
from psw.standard.validation.quality import PreviousReturn
from psw.standard.validation.report import Finding, Report

__all__ = [
    "Finding",
    "PreviousReturn",
    "Report",
    "ValidationResult",
    "previous_from_file",
    "validate_return",
]
