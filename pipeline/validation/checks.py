"""Validate batches with Great Expectations (pandas datasource) and split good rows from bad ones.

Two levels, as in the README:

* **batch level** (``check_columns``): the file must have the columns its format requires. A failure
  raises ``BatchError`` and nothing from the file is loaded.
* **row level** (``validate_rows``): every row is checked; a row failing any expectation goes to the
  quarantine with a reason per failure that quotes the offending value, and loading continues.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import pandas as pd

from pipeline.errors import BatchError
from pipeline.sources.canonical import Kind, Scale
from pipeline.sources.parsers import UNKNOWN
from pipeline.sources.readers import Rejected

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

VALID_RATINGS = [1, 2, 3, 4, 5]
NO_SCORE = "no_score"
BAD_VALUE = "bad_value"
_EXPECTED = {"boolean": "yes/no", "count": "a whole count of 0 or more"}
"""The optional columns a value given but not parsed quarantines its row, by parser: what was expected."""


@dataclass(frozen=True)
class RowCheck:
    """One row-level expectation, the reason code it yields, and how to word a failure.

    ``derive`` computes the checked column from the canonical frame where it is not a canonical column
    itself (for example whether a survey answer was given but did not parse).
    """

    code: str
    column: str
    expectation: str
    kwargs: dict[str, Any]
    message: Callable[[pd.Series], str]
    derive: Callable[[pd.DataFrame], pd.Series] | None = None


@dataclass
class ValidationResult:
    """Good rows ready to load, quarantined rows with reasons, and the per-expectation summary."""

    good: pd.DataFrame
    quarantined: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def _quote(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "missing"
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _given(values: pd.Series) -> pd.Series:
    """Whether the source had a value: not null and not blank."""

    def given(v: Any) -> bool:
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            return False
        return not isinstance(v, str) or bool(v.strip())

    return values.map(given).astype(bool)


def _not_expected(column: str, expected: str) -> Callable[[pd.Series], str]:
    """The reason for a source value of ``column`` that is not what was ``expected``, quoting it."""
    return lambda r: f"{column} {_quote(r['_src_' + column])} is not {expected}"


def _not_a_number(column: str) -> Callable[[pd.Series], str]:
    return _not_expected(column, "a number")


def _out_of_range(scale: Scale) -> Callable[[pd.Series], str]:
    return lambda r: (
        f"{scale.column} {_quote(r['_src_' + scale.column])} "
        f"is not a whole number from {scale.low} to {scale.high}"
    )


def _unparsed(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    """True where the source gave a value that did not parse as the column's type."""
    return lambda frame: _given(frame[f"_src_{column}"]) & frame[column].isna()


def _unparsed_value(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    """True where the source gave a value in ``column`` that did not parse and is no "unknown" marker.

    A column the source does not map is never flagged."""

    def unparsed(frame: pd.DataFrame) -> pd.Series:
        src = f"_src_{column}"
        if src not in frame:
            return pd.Series(False, index=frame.index)
        marker = frame[src].map(lambda v: isinstance(v, str) and v.strip().lower() in UNKNOWN).astype(bool)
        return _unparsed(column)(frame) & ~marker

    return unparsed


def _value_checks(kind: Kind) -> list[RowCheck]:
    """Each optional yes/no or count column holds a value of its type, an unknown marker, or nothing:
    a value that does not parse would otherwise be stored as null without a word."""
    return [
        RowCheck(
            BAD_VALUE,
            f"_unparsed_{column}",
            "ExpectColumnValuesToBeInSet",
            {"value_set": [False]},
            _not_expected(column, _EXPECTED[parser]),
            derive=_unparsed_value(column),
        )
        for column, parser in kind.parsers.items()
        if parser in _EXPECTED
    ]


def _scores_given(columns: list[str]) -> Callable[[pd.DataFrame], pd.Series]:
    """How many of the answer columns the source gave a value for."""

    def count(frame: pd.DataFrame) -> pd.Series:
        given = pd.Series(0, index=frame.index, dtype="int64")
        for column in columns:
            given += _given(frame[f"_src_{column}"]).astype("int64")
        return given

    return count


def _scale_checks(kind: Kind) -> list[RowCheck]:
    """Each answer column is a whole number in its range; with optional scales, at least one is given."""
    checks: list[RowCheck] = []
    for scale in kind.scales:
        col = scale.column
        if kind.scales_optional:  # empty is fine; given but not a number is not
            checks.append(
                RowCheck(
                    scale.code,
                    f"_unparsed_{col}",
                    "ExpectColumnValuesToBeInSet",
                    {"value_set": [False]},
                    _not_a_number(col),
                    derive=_unparsed(col),
                )
            )
        else:
            checks.append(RowCheck(scale.code, col, "ExpectColumnValuesToNotBeNull", {}, _not_a_number(col)))
        checks.append(
            RowCheck(
                scale.code,
                col,
                "ExpectColumnValuesToBeInSet",
                {"value_set": list(range(scale.low, scale.high + 1))},
                _out_of_range(scale),
            )
        )
    if kind.scales_optional:
        names = [s.column for s in kind.scales]
        checks.append(
            RowCheck(
                NO_SCORE,
                "_scores_given",
                "ExpectColumnValuesToBeBetween",
                {"min_value": 1},
                lambda r: f"no score: {', '.join(names[:-1])} and {names[-1]} are all empty",
                derive=_scores_given(names),
            )
        )
    return checks


EARLIEST_DATE = pd.Timestamp("1990-01-01")
"""Older dates are placeholders (``1900-01-01``) or misread units (seconds read as milliseconds)."""
DAYS_AHEAD = 2
"""How far past its night a record may be dated (time zones, an export cut after midnight)."""


def _implausible_date(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    """True where a parsed date lies before ``EARLIEST_DATE`` or more than ``DAYS_AHEAD`` days after the
    night the file landed (``_latest_date``, set by ``validate_rows``)."""
    return lambda frame: (
        frame[column].notna() & ((frame[column] < EARLIEST_DATE) | (frame[column] > frame["_latest_date"]))
    )


def _date_out_of_range(column: str) -> Callable[[pd.Series], str]:
    def message(r: pd.Series) -> str:
        quoted = _quote(r.get("_src_" + column))
        if r[column] < EARLIEST_DATE:
            return f"{column} {quoted} is before {EARLIEST_DATE.date()}"
        night = (r["_latest_date"] - pd.Timedelta(days=DAYS_AHEAD)).date()
        return f"{column} {quoted} is more than {DAYS_AHEAD} days after the file's night {night}"

    return message


def _row_checks(kind: Kind) -> list[RowCheck]:
    """The row-level expectations for a kind, in the order their reasons are listed."""
    idc, datec, textc = kind.id_column, kind.date_column, kind.text_column
    checks = [
        RowCheck("missing_id", idc, "ExpectColumnValuesToNotBeNull", {}, lambda r: f"{idc} is missing"),
        *_scale_checks(kind),
        RowCheck(
            "bad_date",
            datec,
            "ExpectColumnValuesToNotBeNull",
            {},
            lambda r: f"{datec} {_quote(r.get('_src_' + datec))} is not a date",
        ),
        RowCheck(
            "bad_date",
            f"_implausible_{datec}",
            "ExpectColumnValuesToBeInSet",
            {"value_set": [False]},
            _date_out_of_range(datec),
            derive=_implausible_date(datec),
        ),
        *_value_checks(kind),
    ]
    if kind.text_required:
        checks.insert(
            1,
            RowCheck("empty_text", textc, "ExpectColumnValuesToNotBeNull", {}, lambda r: f"{textc} is empty"),
        )
    checks.append(
        RowCheck(
            "duplicate_id",
            idc,
            "ExpectColumnValuesToBeUnique",
            {},
            lambda r: f"{idc} {_quote(r[idc])} repeats",
        )
    )
    return checks


@cache
def _gx() -> Any:
    """One ephemeral GX context with a pandas datasource, built on first use (GX takes seconds to import)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("reviewpulse").add_dataframe_asset("batch")
    return context, asset.add_batch_definition_whole_dataframe("whole_frame")


@cache
def _suite(name: str, expectations: tuple[tuple[str, str, tuple[tuple[str, Any], ...]], ...]) -> Any:
    """Register an expectation suite once per process."""
    import great_expectations as gx

    context, _ = _gx()
    suite = gx.ExpectationSuite(name=name)
    for expectation, column, kwargs in expectations:
        cls = getattr(gx.expectations, expectation)
        suite.add_expectation(
            cls(column=column, **{k: list(v) if isinstance(v, tuple) else v for k, v in kwargs})
        )
    return context.suites.add(suite)


def _snake(name: str) -> str:
    """``ExpectColumnValuesToBeUnique`` -> ``expect_column_values_to_be_unique`` (GX's result type)."""
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in name).lstrip("_")


def _run(suite: Any, frame: pd.DataFrame) -> Any:
    _, batch_definition = _gx()
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    return batch.validate(suite, result_format={"result_format": "COMPLETE"})


def check_columns(
    source_name: str, kind: Kind, columns: list[str], required: list[str], file_name: str
) -> None:
    """Batch-level check: every required source column exists; ``BatchError`` names the missing ones."""
    suite = _suite(
        f"columns:{kind.name}:{source_name}",
        tuple(("ExpectColumnToExist", c, ()) for c in required),
    )
    result = _run(suite, pd.DataFrame(columns=columns))
    missing = [r.expectation_config.kwargs["column"] for r in result.results if not r.success]
    if missing:
        raise BatchError(
            f"{file_name}: required column{'s' if len(missing) > 1 else ''} missing for format "
            f"{source_name}: {', '.join(missing)}"
        )


def _kept_rows(ids: pd.Series, invalid: set[int]) -> dict[Any, int]:
    """Per id, the row (position; the frame's index is 0..n-1) kept: the first that passed the other
    checks, else the first."""
    kept: dict[Any, int] = {}
    for i, value in enumerate(ids.tolist()):
        if pd.isna(value):
            continue
        if value not in kept or (kept[value] in invalid and i not in invalid):
            kept[value] = i
    return kept


def validate_rows(kind: Kind, frame: pd.DataFrame, rejected: list[Rejected], night: date) -> ValidationResult:
    """Run the row suite of ``kind`` over a canonical frame of a file landed for ``night``; return good
    rows and quarantined rows.

    ``rejected`` are records the reader could not parse; they join the quarantine with their reasons.
    Of rows sharing an id, the first that passes the other checks is kept and the rows after it are
    quarantined (``duplicate_id``): a bad first row must not take a good correction down with it.
    """
    checks = _row_checks(kind)
    suite = _suite(
        f"rows:{kind.name}",
        tuple(
            (
                c.expectation,
                c.column,
                tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in c.kwargs.items()),
            )
            for c in checks
        ),
    )
    frame = frame.reset_index(drop=True)
    frame["_latest_date"] = pd.Timestamp(night) + pd.Timedelta(days=DAYS_AHEAD)
    checked = frame[list(dict.fromkeys(c.column for c in checks if c.derive is None))].copy()
    for check in checks:
        if check.derive is not None:
            checked[check.column] = check.derive(frame)
    result = _run(suite, checked)
    reasons: dict[int, list[tuple[str, str]]] = {}
    summary: list[dict[str, Any]] = []
    by_key = {(r.expectation_config.type, r.expectation_config.kwargs["column"]): r for r in result.results}
    for check in checks:
        res = by_key[(_snake(check.expectation), check.column)]
        if res.exception_info and res.exception_info.get("raised_exception"):
            raise BatchError(f"validation could not run {check.expectation} on {check.column}")
        bad = list(res.result.get("unexpected_index_list") or [])
        if check.code == "duplicate_id":  # the last check: ``reasons`` holds every other failure
            kept = _kept_rows(frame[kind.id_column], set(reasons))
            ids = frame[kind.id_column]
            later = [i for i in frame.index if pd.notna(ids[i]) and i > kept[ids[i]]]
            bad = sorted(set(bad) & set(later))
        summary.append(
            {
                "expectation": check.expectation,
                "column": check.column,
                "code": check.code,
                "success": not bad,
                "unexpected": len(bad),
            }
        )
        for i in bad:
            row = frame.loc[i]
            message = check.message(row)
            if check.code == "duplicate_id":
                first = frame["_record_no"].to_numpy()[kept[row[kind.id_column]]]  # the index is 0..n-1
                message += f" record {int(first)} of this file"
            reasons.setdefault(int(i), []).append((check.code, message))
    bad_index = sorted(reasons)
    quarantined = pd.DataFrame(
        {
            "record_no": frame.loc[bad_index, "_record_no"].astype("int64").tolist(),
            "line_no": frame.loc[bad_index, "_line_no"].tolist(),
            "raw_record": frame.loc[bad_index, "_raw"].tolist(),
            "reason_code": [reasons[i][0][0] for i in bad_index],
            "reason": ["; ".join(m for _, m in reasons[i]) for i in bad_index],
        }
    )
    if rejected:
        read_level = pd.DataFrame(
            {
                "record_no": [r.record_no for r in rejected],
                "line_no": [r.line_no for r in rejected],
                "raw_record": [r.raw for r in rejected],
                "reason_code": [r.code for r in rejected],
                "reason": [r.reason for r in rejected],
            }
        )
        quarantined = (
            pd.concat([quarantined, read_level], ignore_index=True) if len(quarantined) else read_level
        )
        for code in sorted({r.code for r in rejected}):
            n = sum(r.code == code for r in rejected)
            summary.append(
                {
                    "expectation": "readable_record",
                    "column": None,
                    "code": code,
                    "success": False,
                    "unexpected": n,
                }
            )
    quarantined = quarantined.sort_values("record_no", kind="stable").reset_index(drop=True)
    good = frame.drop(index=bad_index, columns="_latest_date").reset_index(drop=True)
    return ValidationResult(
        good=good,
        quarantined=quarantined,
        summary={
            "rows_in": len(frame) + len(rejected),
            "rows_good": len(good),
            "rows_quarantined": len(quarantined),
            "expectations": summary,
        },
    )
