"""Parsers turn source strings into canonical values and never raise on junk."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from pipeline.sources import parsers


def test_number_accepts_decimal_comma_and_rejects_words() -> None:
    out = parsers.number(pd.Series(["5", "4.0", "3,0", " 2 ", "five", "", None]))
    assert out.tolist()[:4] == [5.0, 4.0, 3.0, 2.0]
    assert all(math.isnan(v) for v in out.tolist()[4:])


def test_dates_in_each_source_format() -> None:
    assert str(parsers.iso_date(pd.Series(["2026-11-03T10:00:00Z"]))[0].date()) == "2026-11-03"
    assert str(parsers.iso_date(pd.Series(["2026-11-03 23:59:59 UTC"]))[0].date()) == "2026-11-03"
    assert str(parsers.epoch_seconds(pd.Series(["1472688000"]))[0].date()) == "2016-09-01"
    assert str(parsers.epoch_millis(pd.Series(["1562694920921"]))[0].date()) == "2019-07-09"
    assert str(parsers.us_date(pd.Series(["11/21/26"]))[0].date()) == "2026-11-21"
    assert str(parsers.us_date(pd.Series(["11/21/2026"]))[0].date()) == "2026-11-21"
    bad = parsers.iso_date(pd.Series(["yesterday", "2026-13-45", None]))
    assert bad.isna().all()


def test_boolean_yes_no_dash() -> None:
    assert parsers.boolean(pd.Series(["Yes", "no", "-", "TRUE", "0"])).tolist() == [
        True,
        False,
        pd.NA,
        True,
        False,
    ]


def test_judgeme_source_reads_unknown_markers_as_unknown_not_as_unverified() -> None:
    out = parsers.verified_source(pd.Series(["email", "web", "-", "N/A", None]))
    assert out.tolist() == [True, False, pd.NA, pd.NA, pd.NA]


def test_text_is_kept_verbatim_and_blank_is_null() -> None:
    raw = '  She said "ok",\nthen <b>left</b>; DROP TABLE reviews; -- 😀 '
    out = parsers.text(pd.Series([raw, "   ", None]))
    assert out[0] == raw
    assert out[1] is None and out[2] is None


@given(st.lists(st.one_of(st.none(), st.text(max_size=20)), max_size=30))
def test_parsers_never_raise_on_arbitrary_text(values: list[str | None]) -> None:
    series = pd.Series(values, dtype="object")
    for name, parser in parsers.PARSERS.items():
        out = parser(series)
        assert len(out) == len(values), name


def test_count_reads_thousands_separators_only_in_groups_of_three() -> None:
    given = ["1,234", "12,345,678", "7", "3.0", "+2", " 1,234.0 ",
             "1,5", "12,34", "1,2345", "1.234", ",5", "1,", "2.000", "+1.000", "1,234,5",
             "١,٢٣٤", "1e3", "0x10", "1_000"]  # fmt: skip
    got = parsers.count(pd.Series(given))
    assert got.tolist()[:6] == [1234, 12345678, 7, 3, 2, 1234]
    # a decimal comma, a European thousands dot (1 or 1000?), a stray comma, other digits or notations:
    # no count
    assert got.isna().tolist()[6:] == [True] * 13
