"""How a source is declared (``SourceSpec``) and how its rows become canonical rows (``to_canonical``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from pipeline.sources import parsers
from pipeline.sources.canonical import Kind
from pipeline.sources.language import detect_language, normalise_language
from pipeline.sources.readers import RawBatch

ColumnRef = str | tuple[str, ...]
"""A source column, or several to take the first non-blank of."""

Enricher = Callable[[pd.DataFrame, Path], pd.DataFrame]


@dataclass(frozen=True)
class SourceSpec:
    """A declared mapping of one export format onto a canonical kind.

    Attributes:
        name: the format name used on the CLI and in the landing zone (``landing/<kind>/<name>/``).
        kind: the canonical kind the rows become.
        reader: ``csv``, ``tsv``, ``jsonl`` or ``parquet``.
        columns: canonical column -> source column (or columns, first non-blank wins).
        optional: source columns that may be absent from a file; all others are required.
        parsers: canonical column -> parser name, where it differs from the kind's default.
        id_from: source columns hashed into the record id when the source has no id of its own (with
            the seller, where it comes from the file name: one order can be rated for several sellers).
        constants: canonical column -> value used where the source gives none.
        pii: source columns holding names/emails/IPs: hashed or dropped, and redacted in the quarantine.
        glob: which files in a landing folder belong to this source.
        seller_from_filename: the seller id is the file name without extension (Seller Central).
        enrich: optional function adding columns from side files (Olist's order items).
        side_files: globs of those side files: they sit in the landing folder but are not loaded
            themselves (a landed file that neither ``glob`` nor these match is reported as not loaded).
        ignored: export columns the format knowingly reads nothing from (a seller's reply, picture
            links); any other column it does not read is reported (``unused_columns``).
    """

    name: str
    kind: Kind
    reader: str
    description: str
    columns: Mapping[str, ColumnRef]
    optional: tuple[str, ...] = ()
    parsers: Mapping[str, str] = field(default_factory=dict)
    id_from: tuple[str, ...] = ()
    constants: Mapping[str, str] = field(default_factory=dict)
    pii: tuple[str, ...] = ()
    glob: str = "*"
    seller_from_filename: bool = False
    enrich: Enricher | None = None
    side_files: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()

    def required_columns(self) -> list[str]:
        """Source columns a file must have, in declaration order."""
        needed: list[str] = []
        for ref in self.columns.values():
            refs = (ref,) if isinstance(ref, str) else ref
            if all(r in self.optional for r in refs):
                continue
            needed.extend(r for r in refs if r not in self.optional and r not in needed)
        needed.extend(c for c in self.id_from if c not in needed and c not in self.optional)
        return needed


def _column(rows: pd.DataFrame, ref: ColumnRef) -> pd.Series:
    """The source values for one reference; absent optional columns read as nulls."""
    refs = [r for r in ((ref,) if isinstance(ref, str) else ref) if r in rows.columns]
    if not refs:
        return pd.Series([None] * len(rows), index=rows.index, dtype="object")
    out = rows[refs[0]].astype("object")
    for r in refs[1:]:  # first non-blank wins
        blank = out.isna() | out.map(lambda v: isinstance(v, str) and not v.strip())
        out = out.where(~blank, rows[r].astype("object"))
    return out


def stable_hash(parts: list[str | None], n: int = 20) -> str | None:
    """A short sha256 hex digest of the parts, or None when any part is missing."""
    if any(p is None for p in parts):
        return None
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:n]


def _redact(raw: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret and len(secret) > 2:
            raw = raw.replace(secret, "[redacted]")
    return raw


def absent_columns(spec: SourceSpec, file_columns: list[str]) -> list[str]:
    """The canonical columns a file of ``spec`` gives no value for: mapped to none of its columns, and
    neither a constant nor derived (id, seller from the file name). The date of a source without dates
    counts as absent: the landing night stands in for it. ``language`` is never absent (detected)."""
    kind, present = spec.kind, set(file_columns)
    given = {kind.id_column, "source", "language", *spec.constants}
    if spec.seller_from_filename:
        given.add("seller_id")
    for canon, ref in spec.columns.items():
        if any(r in present for r in _refs(ref)):
            given.add(canon)
    return [c for c in kind.columns if c not in given]


def _refs(ref: ColumnRef) -> tuple[str, ...]:
    return (ref,) if isinstance(ref, str) else ref


def _squashed(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def unused_columns(spec: SourceSpec, file_columns: list[str]) -> list[str]:
    """The file's columns that ``spec`` reads nothing from, each with the column it reads that the name
    resembles (``Verified (the format reads verified_purchase)``): a misspelt optional column would
    otherwise be lost without a word."""
    read = {r for ref in spec.columns.values() for r in _refs(ref)} | set(spec.id_from) | set(spec.pii)
    known = {_squashed(r): r for r in read}
    out = []
    for column in file_columns:
        if column in read or column in spec.ignored or column.startswith("_"):  # _raw...: the reader's own
            continue
        like = known.get(_squashed(column))
        out.append(f"{column} (the format reads {like})" if like else column)
    return out


def to_canonical(spec: SourceSpec, batch: RawBatch, *, path: Path, night: date) -> pd.DataFrame:
    """Map a file's rows onto the canonical columns of ``spec.kind``.

    Values that do not parse become nulls; the original text is kept in ``_src_<column>`` so validation
    can quote it. ``_record_no``, ``_line_no`` and ``_raw`` (with PII redacted) ride along.
    ``reviewer_id`` is still in clear here: the staging SQL stores only its salted hash. The frame's
    ``attrs["absent"]`` lists the columns the file gives no value for (``absent_columns``): the load
    keeps a stored record's values of these instead of erasing them; ``attrs["unused"]`` the file's
    columns it reads nothing from (``unused_columns``).
    """
    kind = spec.kind
    rows = batch.rows
    unused = unused_columns(spec, list(rows.columns))
    if spec.enrich is not None:
        rows = spec.enrich(rows, path)
    out = pd.DataFrame(index=rows.index)
    out.attrs["absent"] = absent_columns(spec, list(rows.columns))
    out.attrs["unused"] = unused
    for canon, ref in spec.columns.items():
        source_values = _column(rows, ref)
        out[f"_src_{canon}"] = source_values
        out[canon] = parsers.parse(spec.parsers.get(canon, kind.parsers[canon]), source_values)
    for canon, value in spec.constants.items():
        if canon not in out:
            out[canon] = value
        else:
            out[canon] = out[canon].where(out[canon].notna(), value)
    if spec.seller_from_filename:
        out["seller_id"] = path.stem
    if spec.id_from:
        parts = [parsers.identifier(_column(rows, c)) for c in spec.id_from]
        if spec.seller_from_filename:  # one order, several sellers: each seller's feedback is its own
            parts.append(pd.Series(path.stem, index=rows.index, dtype="object"))
        out[kind.id_column] = [
            None if (h := stable_hash(list(vals))) is None else f"{spec.name}-{h}"
            for vals in zip(*parts, strict=True)
        ]
        out[f"_src_{kind.id_column}"] = out[kind.id_column]
    if kind.date_column not in out:  # sources without dates (MARC): the night the file landed
        out[kind.date_column] = pd.Timestamp(night).as_unit("s")
    out["source"] = spec.name
    for canon in kind.columns:
        if canon not in out:
            out[canon] = None
    text = out[kind.text_column]
    missing_lang = out["language"].isna()
    if missing_lang.any():
        out.loc[missing_lang, "language"] = text[missing_lang].map(detect_language)
    out["language"] = out["language"].map(normalise_language)
    pii_cols = [c for c in spec.pii if c in rows.columns]
    raws = rows["_raw"]
    if pii_cols:
        secrets = rows[pii_cols].astype("object").where(rows[pii_cols].notna(), None).values.tolist()
        raws = pd.Series(
            [
                _redact(raw, [s for s in row if isinstance(s, str)])
                for raw, row in zip(raws, secrets, strict=True)
            ],
            index=rows.index,
        )
    out["_raw"] = raws
    out["_record_no"] = rows["_record_no"]
    out["_line_no"] = rows["_line_no"]
    return out
