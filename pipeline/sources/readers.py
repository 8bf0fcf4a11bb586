"""Read export files record by record, keeping each record's raw text for the quarantine.

Readers never drop anything: a record that cannot be decoded or parsed comes back as a ``Rejected``
with its raw text and the reason; every other record comes back as a row of strings.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from pipeline.errors import BatchError

csv.field_size_limit(sys.maxsize)

_SURROGATE = re.compile("[\udc80-\udcff]")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


@dataclass(frozen=True)
class Rejected:
    """A record the reader could not turn into a row."""

    record_no: int
    line_no: int | None
    raw: str
    code: str
    reason: str


@dataclass
class RawBatch:
    """The rows of one file as strings, plus what could not be read.

    ``rows`` has the file's own columns plus ``_record_no`` (1-based, header excluded), ``_line_no``
    (first physical line of the record, where the format has lines) and ``_raw`` (the record's text).
    """

    rows: pd.DataFrame
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def records_read(self) -> int:
        return len(self.rows) + len(self.rejected)

    @property
    def columns(self) -> list[str]:
        return [c for c in self.rows.columns if not c.startswith("_")]


def scrub_emails(raw: str) -> str:
    """Replace anything that looks like an email address; used on records we could not parse."""
    return _EMAIL.sub("[redacted-email]", raw)


def _printable(raw: str) -> str:
    """Show undecodable bytes as ``\\xNN`` so the record can be stored as valid UTF-8 text."""
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BatchError(f"cannot read {path}: {exc.strerror or exc}") from exc


def read_delimited(path: Path, delimiter: str = ",") -> RawBatch:
    """Read CSV/TSV with a header row; quoted fields may hold delimiters and newlines."""
    data = _read_bytes(path)
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    lines = io.StringIO(text, newline="").readlines()
    if not lines or not lines[0].strip():
        raise BatchError(f"{path.name}: file is empty (no header row)")
    header_reader = csv.reader(lines[:1], delimiter=delimiter)
    header = [h.strip() for h in next(header_reader)]
    if _SURROGATE.search(lines[0]):
        raise BatchError(f"{path.name}: header row is not valid UTF-8")
    if len(set(header)) != len(header):
        raise BatchError(f"{path.name}: header row repeats a column name: {header}")
    has_bad_bytes = bool(_SURROGATE.search(text))

    records: list[list[str]] = []
    numbers: list[int] = []
    line_nos: list[int] = []
    raws: list[str] = []
    rejected: list[Rejected] = []
    reader = csv.reader(iter(lines[1:]), delimiter=delimiter, strict=False)
    start = 0
    record_no = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            record_no += 1
            end = reader.line_num
            raw = "".join(lines[1 + start : 1 + end])
            rejected.append(
                Rejected(record_no, start + 2, _printable(raw), "malformed_record", f"unreadable CSV: {exc}")
            )
            start = end
            continue
        end = reader.line_num
        raw = "".join(lines[1 + start : 1 + end])
        line_no = start + 2
        start = end
        if not values or (len(values) == 1 and not values[0].strip()):
            continue  # blank line between records, not a record
        record_no += 1
        if has_bad_bytes and _SURROGATE.search(raw):
            rejected.append(
                Rejected(
                    record_no, line_no, _printable(raw), "undecodable", "undecodable bytes: not valid UTF-8"
                )
            )
            continue
        if len(values) != len(header):
            rejected.append(
                Rejected(
                    record_no,
                    line_no,
                    raw,
                    "malformed_record",
                    f"expected {len(header)} fields, found {len(values)}",
                )
            )
            continue
        records.append(values)
        numbers.append(record_no)
        line_nos.append(line_no)
        raws.append(raw.rstrip("\r\n"))
    frame = pd.DataFrame(records, columns=header, dtype="object") if records else pd.DataFrame(columns=header)
    frame = frame.astype("object")
    frame["_record_no"] = numbers
    frame["_line_no"] = line_nos
    frame["_raw"] = raws
    return RawBatch(frame, rejected)


def _as_text(value: Any) -> str | None:
    """Turn a JSON/Parquet value into the string the parsers expect."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, float) and value != value:  # NaN
        return None
    return str(value)


def read_jsonl(path: Path) -> RawBatch:
    """Read JSON Lines: one object per line; broken lines are rejected with the parser's message."""
    data = _read_bytes(path)
    rows: list[dict[str, str | None]] = []
    numbers: list[int] = []
    line_nos: list[int] = []
    raws: list[str] = []
    rejected: list[Rejected] = []
    record_no = 0
    for line_no, raw_line in enumerate(data.split(b"\n"), start=1):
        if not raw_line.strip():
            continue
        record_no += 1
        try:
            line = raw_line.decode("utf-8").removeprefix("\ufeff").rstrip("\r")
        except UnicodeDecodeError as exc:
            raw = _printable(raw_line.decode("utf-8", "surrogateescape"))
            reason = f"undecodable bytes: not valid UTF-8 at byte {exc.start}"
            rejected.append(Rejected(record_no, line_no, raw, "undecodable", reason))
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            rejected.append(Rejected(record_no, line_no, line, "broken_json", f"broken JSON line: {exc.msg}"))
            continue
        if not isinstance(obj, dict):
            reason = f"JSON line is a {type(obj).__name__}, not an object"
            rejected.append(Rejected(record_no, line_no, line, "broken_json", reason))
            continue
        rows.append({k: _as_text(v) for k, v in obj.items()})
        numbers.append(record_no)
        line_nos.append(line_no)
        raws.append(line)
    frame = pd.DataFrame(rows, dtype="object") if rows else pd.DataFrame()
    frame = frame.astype("object")
    frame["_record_no"] = numbers
    frame["_line_no"] = line_nos
    frame["_raw"] = raws
    return RawBatch(frame, rejected)


def read_parquet(path: Path) -> RawBatch:
    """Read a Parquet file; every row is readable once the file is, so nothing is rejected here."""
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise BatchError(f"{path.name}: not a readable Parquet file ({exc})") from exc
    records = table.to_pylist()
    rows = [{k: _as_text(v) for k, v in rec.items()} for rec in records]
    frame = pd.DataFrame(rows, columns=table.column_names, dtype="object")
    frame["_record_no"] = list(range(1, len(rows) + 1))
    frame["_line_no"] = None
    frame["_raw"] = [json.dumps(r, ensure_ascii=False, default=str) for r in records]
    return RawBatch(frame, [])


READERS = {
    "csv": read_delimited,
    "tsv": lambda path: read_delimited(path, "\t"),
    "jsonl": read_jsonl,
    "parquet": read_parquet,
}
