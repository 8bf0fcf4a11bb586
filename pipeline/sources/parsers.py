"""Vectorised parsers that turn source strings into canonical values; failures become nulls.

Every parser takes a pandas Series of strings (or None) and returns a Series of the canonical type with
nulls where the value could not be parsed. Validation then turns those nulls into quarantine reasons,
quoting the original text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

_TRUE = {"true", "t", "yes", "y", "1", "1.0"}  # 1.0 / 0.0: pandas writes a 1/0 column with gaps as floats
_FALSE = {"false", "f", "no", "n", "0", "0.0"}
UNKNOWN = {"-", "--", "n/a", "na", "n.a.", "unknown", "null", "none", "nan"}
"""Values an export writes for "no answer" in a yes/no or count column: read as null, not as a bad value."""


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _clean(values: pd.Series) -> pd.Series:
    """Strip whitespace; blank strings and NaN become None."""
    return pd.Series(
        [None if _is_missing(v) else ((v.strip() or None) if isinstance(v, str) else v) for v in values],
        index=values.index,
        dtype="object",
    )


def number(values: pd.Series) -> pd.Series:
    """Parse a finite number such as ``5``, ``5.0`` or ``4,0``; anything else is null."""
    cleaned = _clean(values).map(lambda v: v.replace(",", ".") if isinstance(v, str) else v)
    parsed = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    return parsed.where(np.isfinite(parsed))


_GROUPED = re.compile(r"\+?[0-9]{1,3}(?:,[0-9]{3})+(?:\.0*)?")
"""A count with thousands separators: ``1,234``, ``12,345,678``; ``1,5`` (a decimal comma) is not one."""
_DOTTED = re.compile(r"\+?[0-9]{1,3}(?:\.[0-9]{3})+")
"""``1.000``, ``+2.500``: thousands in the European way, or a decimal: no count can say which."""
_PLAIN = re.compile(r"\+?[0-9]+(?:\.0*)?")
"""A whole count as digits: ``12``, ``+2``, ``3.0`` (a float export of a whole number)."""


def _count_text(value: object) -> object:
    """A count's text without its thousands commas, or None when it is not one of the forms above
    (``1e3``, ``0x10``, ``1,5``, ``1.000``)."""
    if not isinstance(value, str):
        return value
    if _GROUPED.fullmatch(value):
        return value.replace(",", "")
    return value if _PLAIN.fullmatch(value) and not _DOTTED.fullmatch(value) else None


def count(values: pd.Series) -> pd.Series:
    """Parse a non-negative whole count such as ``12`` or ``1,234``; anything else (``1,5``, ``1.000``,
    ``-1``, ``2.5``, ``1e3``, ``a few``) is null."""
    cleaned = _clean(values).map(_count_text)
    parsed = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    ok = np.isfinite(parsed) & (parsed >= 0) & (parsed < 2**31) & (parsed == parsed.round())
    return parsed.where(ok).astype("Int64")


def _to_date(parsed: pd.Series) -> pd.Series:
    """Drop time and time zone, keep the calendar date as ``datetime64[s]`` (NaT when missing)."""
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.dt.normalize().astype("datetime64[s]")


_FULL_DATE = re.compile(r"\d{4}-?\d{2}-?\d{2}")


def iso_date(values: pd.Series) -> pd.Series:
    """Parse ISO 8601 dates or timestamps (``2026-11-03``, ``2026-11-03T10:00:00Z``, ``... UTC``). A date
    without its day (``2026-11``, ``2026``) is no date: it would be stored as the first of the month."""
    cleaned = _clean(values).map(
        lambda v: v.removesuffix(" UTC") if isinstance(v, str) and _FULL_DATE.match(v) else None
    )
    parsed = pd.to_datetime(cleaned, errors="coerce", format="ISO8601", utc=True)
    return _to_date(parsed)


def epoch_seconds(values: pd.Series) -> pd.Series:
    """Parse Unix time in seconds."""
    secs = number(values)
    secs = secs.where((secs > 0) & (secs < 4e9))
    return _to_date(pd.to_datetime(secs, unit="s", errors="coerce"))


def epoch_millis(values: pd.Series) -> pd.Series:
    """Parse Unix time in milliseconds."""
    ms = number(values)
    ms = ms.where((ms > 0) & (ms < 4e12))
    return _to_date(pd.to_datetime(ms, unit="ms", errors="coerce"))


def us_date(values: pd.Series) -> pd.Series:
    """Parse US dates ``MM/DD/YY`` or ``MM/DD/YYYY`` as in Amazon Seller Central exports."""
    cleaned = _clean(values)
    short = pd.to_datetime(cleaned, errors="coerce", format="%m/%d/%y")
    long = pd.to_datetime(cleaned, errors="coerce", format="%m/%d/%Y")
    return _to_date(short.fillna(long))


def boolean(values: pd.Series) -> pd.Series:
    """Parse yes/no, true/false, 1/0 (also ``1.0``/``0.0``); ``UNKNOWN`` markers (``-``, ``n/a``, ...) and
    blanks are null."""
    cleaned = _clean(values).map(lambda v: str(v).lower() if v is not None else None)
    return cleaned.map(lambda v: True if v in _TRUE else (False if v in _FALSE else None)).astype("boolean")


def verified_source(values: pd.Series) -> pd.Series:
    """Judge.me's ``source``: reviews sent through the order e-mail (``email``) come from buyers; any other
    source is not verified, and an ``UNKNOWN`` marker is unknown."""
    cleaned = _clean(values).map(lambda v: str(v).lower() if v is not None else None)
    return cleaned.map(
        lambda v: None if not isinstance(v, str) or v in UNKNOWN else v in {"email", "verified", "shop_app"}
    ).astype("boolean")


_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
"""Characters that are letters or symbols by category but draw nothing (Hangul fillers, the blank
braille pattern): favourites for posting an "empty" text where a form refuses one."""


def has_content(value: str) -> bool:
    """Whether a text has a visible character: not only whitespace, control and format characters
    (zero-width spaces and joiners, the byte-order mark, bidi marks), marks with nothing to sit on
    (variation selectors, combining marks) and blank letters, which all read as empty."""
    return any(
        not ch.isspace()
        and ch not in _BLANK_LETTERS
        and unicodedata.category(ch) not in ("Cc", "Cf", "Mn", "Me")
        for ch in value
    )


def text(values: pd.Series) -> pd.Series:
    """Keep text verbatim; only values with nothing visible in them (``has_content``) become null."""
    return pd.Series(
        [v if isinstance(v, str) and has_content(v) else None for v in values],
        index=values.index,
        dtype="object",
    )


def identifier(values: pd.Series) -> pd.Series:
    """Identifiers are stripped strings; blank is null."""
    return _clean(values)


PARSERS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "number": number,
    "count": count,
    "iso_date": iso_date,
    "epoch_seconds": epoch_seconds,
    "epoch_millis": epoch_millis,
    "us_date": us_date,
    "boolean": boolean,
    "verified_source": verified_source,
    "text": text,
    "id": identifier,
}


def parse(name: str, values: pd.Series) -> pd.Series:
    """Apply the parser called ``name``."""
    return PARSERS[name](values)
