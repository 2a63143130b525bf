"""Row-level validation of a load's inputs: problems with file, row, column, value, rule and severity."""

from cardbin.validate.report import Problem, Report, Severity, print_report, problem
from cardbin.validate.rules import Options, check_bins, check_branches, check_cities, check_segments

__all__ = [
    "Options",
    "Problem",
    "Report",
    "Severity",
    "check_bins",
    "check_branches",
    "check_cities",
    "check_segments",
    "print_report",
    "problem",
]
