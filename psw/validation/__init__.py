"""The return validation library: one code path for `psw validate` and the platform.

Importing this package does not import Great Expectations; that happens only when a
return is actually validated (see `suites.run_suites`).
"""

from psw.validation.engine import ValidationResult, previous_from_file, validate_return
from psw.validation.quality import PreviousReturn
from psw.validation.report import Finding, Report

__all__ = [
    "Finding",
    "PreviousReturn",
    "Report",
    "ValidationResult",
    "previous_from_file",
    "validate_return",
]
