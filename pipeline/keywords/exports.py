"""Read ``mart_keywords``: a scope's top phrases, CSV exports per scope and language, listing gaps."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.errors import ConfigError, ReviewPulseError
from pipeline.keywords.mart import MART, SCOPES, compute_keywords
from pipeline.keywords.phrases import LANGUAGES, clause_keys, phrase_key
from pipeline.keywords.scoring import KeywordConfig
from pipeline.settings import Settings
from pipeline.warehouse import run

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
GAP_COLUMNS = ("language", "rank", "phrase", "variants", "frequency", "reviewers", "praise_score", "polarity",
               "novelty")  # fmt: skip


def safe_name(value: str) -> str:
    """A file-name-safe form of an id: other characters become ``_``; a changed id gets a hash suffix."""
    safe = _UNSAFE.sub("_", value).strip("._")[:80] or "_"
    if safe != value:
        safe = f"{safe}-{hashlib.sha1(value.encode('utf-8')).hexdigest()[:8]}"
    return safe


def _has_mart(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(run(con, "select count(*) from duckdb_tables() where table_name = ?", [MART])[0][0])


def mart_night(con: duckdb.DuckDBPyConnection) -> date | None:
    """The night ``mart_keywords`` was built for; None when it is missing or empty."""
    if not _has_mart(con):
        return None
    rows = run(con, f"select max(night) from {MART}")
    return rows[0][0] if rows and rows[0][0] is not None else None


def _as_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Period columns as dates (DuckDB hands DATE to pandas as timestamps) and variants as lists."""
    frame = frame.copy()
    for col in ("period_start", "period_end", "night"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    frame["variants"] = frame["variants"].map(list)
    return frame


def _check_scope(con: duckdb.DuckDBPyConnection, scope: str, scope_id: str) -> None:
    """Raise when no review in the warehouse names this product (category)."""
    if scope not in SCOPES:
        raise ConfigError(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}")
    column = "product_id" if scope == "product" else "category"
    found = run(con, f"select count(*) from reviews where {column} = ?", [scope_id])[0][0]
    if not found:
        raise ReviewPulseError(f"unknown {scope} {scope_id!r}: no review in the warehouse has it")


def _check_language(language: str | None) -> None:
    if language is not None and language not in LANGUAGES:
        raise ConfigError(f"unsupported language {language!r}: keywords cover {', '.join(LANGUAGES)}")


def top_keywords(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    scope: str,
    scope_id: str,
    *,
    language: str | None = None,
    night: date | None = None,
    top: int = 20,
    config: KeywordConfig | None = None,
) -> pd.DataFrame:
    """The ``top`` phrases per language of one product or category, in rank order.

    Read from ``mart_keywords`` when it holds ``night`` (default: the night it holds); computed on the
    fly, without writing, for another night.
    """
    _check_language(language)
    if top < 1:
        raise ConfigError(f"top must be at least 1, got {top}")
    _check_scope(con, scope, scope_id)
    stored = mart_night(con)
    if night is None:
        if stored is None:
            raise ReviewPulseError(
                f"{MART} has not been built yet (or is empty); pass a date to compute keywords"
            )
        night = stored
    if stored == night:
        frame = con.execute(
            f"select * from {MART} where scope = ? and scope_id = ? and (? is null or language = ?) "
            "and rank <= ? order by language, rank",
            [scope, scope_id, language, language, top],
        ).df()
    else:
        frame = compute_keywords(con, settings, night, config, languages=[language] if language else None)
        frame = frame[(frame["scope"] == scope) & (frame["scope_id"] == scope_id) & (frame["rank"] <= top)]
    return _as_dates(frame).reset_index(drop=True)


def read_listing(path: Path) -> str:
    """The text of a listing file (UTF-8), with a clear error when it is missing, unreadable or empty."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReviewPulseError(f"listing file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewPulseError(f"cannot read listing file {path}: {exc}") from None
    if not text.strip():
        raise ReviewPulseError(f"the listing file {path} is empty")
    return text


def listing_gaps(
    con: duckdb.DuckDBPyConnection,
    product_id: str,
    listing_text: str,
    language: str | None = None,
    *,
    keywords: pd.DataFrame | None = None,
    top: int = 20,
) -> pd.DataFrame:
    """Phrases your customers use that your listing lacks.

    The product's keywords (``keywords`` if given, else every phrase of it in ``mart_keywords``), in rank
    order, less those the listing already says: a phrase is present when every word of its
    near-duplicate key (content stems and negation, ``phrases.phrase_key``) occurs in one clause of the
    listing after the same normalisation, so "shipping is fast" covers "fast shipping". At most ``top``.
    """
    _check_language(language)
    if not listing_text or not listing_text.strip():
        raise ReviewPulseError("the listing text is empty")
    if keywords is None:
        _check_scope(con, "product", product_id)
        if not _has_mart(con):
            raise ReviewPulseError(f"{MART} has not been built yet; run build_keywords first")
        keywords = con.execute(
            f"select * from {MART} where scope = 'product' and scope_id = ? order by language, rank",
            [product_id],
        ).df()
    keywords = keywords[(keywords["scope"] == "product") & (keywords["scope_id"] == product_id)]
    if language is not None:
        keywords = keywords[keywords["language"] == language]
    if keywords.empty:
        _check_scope(con, "product", product_id)
        return pd.DataFrame(columns=list(GAP_COLUMNS))
    listing = {lang: clause_keys(listing_text, lang) for lang in keywords["language"].unique()}
    if not any(listing.values()):
        raise ReviewPulseError("the listing text has no words")

    def present(row: pd.Series) -> bool:
        key = set(phrase_key(str(row["phrase"]), str(row["language"])))
        return any(key <= clause for clause in listing[str(row["language"])])

    missing = keywords[~keywords.apply(present, axis=1)].sort_values(["rank", "language"])
    out = missing.head(top)[list(GAP_COLUMNS)].reset_index(drop=True)
    out["variants"] = out["variants"].map(list)
    return out


def export_keywords(con: duckdb.DuckDBPyConnection, out_dir: Path, night: date) -> list[Path]:
    """One CSV per scope and language under ``<out_dir>/keywords/``: ``product/<id>.<lang>.csv``,
    ``category/<category>.<lang>.csv`` (ids made file-name-safe), rows in rank order; returns the paths.

    Earlier CSVs in those folders are removed first, so the folder matches the mart. Raises when
    ``mart_keywords`` is missing or holds another night.
    """
    if not _has_mart(con):
        raise ReviewPulseError(f"{MART} has not been built yet; run build_keywords first")
    stored = mart_night(con)
    if stored is not None and stored != night:
        raise ReviewPulseError(f"{MART} holds the night {stored}, not {night}; rebuild it for {night} first")
    root = Path(out_dir) / "keywords"
    for scope in SCOPES:
        for old in (root / scope).glob("*.csv"):
            old.unlink()
    frame = _as_dates(con.execute(f"select * from {MART} order by scope, scope_id, language, rank").df())
    frame["variants"] = frame["variants"].map("; ".join)
    paths = []
    for key, rows in frame.groupby(["scope", "scope_id", "language"], sort=True):
        scope, scope_id, language = (str(k) for k in key)
        path = root / scope / f"{safe_name(scope_id)}.{language}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows.to_csv(path, index=False)
        paths.append(path)
    return paths
