"""Great Expectations suites per kind, and the split of a batch into good rows and quarantined rows."""

from pipeline.validation.checks import ValidationResult, check_columns, validate_rows

__all__ = ["ValidationResult", "check_columns", "validate_rows"]
