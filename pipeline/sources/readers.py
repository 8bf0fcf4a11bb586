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
import pyarrow as pa
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


def _shape(value: str) -> str:
    """A value's shape: runs of letters ``a``, of digits ``9``, other characters kept ("r123" -> "a9")."""
    return re.sub(r"[^\W\d_]+", "a", re.sub(r"\d+", "9", value))


def _whole_records_inside(raw: str, delimiter: str, fields: int, first: str) -> int:
    """How many of a multi-line record's later lines read, on their own, like a record of this file: the
    header's number of fields, the first one a token of the record's own first field's shape (its id:
    "u2" like "u1", "1564" like "1563"). Those are rows an unclosed quote swallowed into one field (0 for
    an ordinary record, whose later lines are prose). Files of fewer than four columns are not checked:
    a line of prose with a few commas would match too often."""
    if fields < 4 or not re.fullmatch(r"[^\s\"]{1,64}", first):
        return 0
    swallowed = 0
    for line in raw.splitlines()[1:]:
        values = next(csv.reader([line], delimiter=delimiter, strict=False), [])
        if len(values) == fields and _shape(values[0]) == _shape(first):
            swallowed += 1
    return swallowed


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
        swallowed = _whole_records_inside(raw, delimiter, len(header), values[0])
        if swallowed:
            reason = (f"a quoted field runs over {swallowed} later line(s) that read as whole records "
                      "(an unclosed quote?)")  # fmt: skip
            rejected.append(Rejected(record_no, line_no, raw.rstrip("\r\n"), "malformed_record", reason))
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


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
        row = {k: _as_text(v) for k, v in obj.items()}
        broken = next((k for k, v in row.items() if v is not None and not _encodable(v)), None)
        if broken is not None:  # "\ud83d" alone: half of an emoji's escape pair, cut by the exporter
            reason = (
                f"undecodable text in {broken}: an escaped lone surrogate (half an emoji?), not valid UTF-8"
            )
            rejected.append(Rejected(record_no, line_no, line, "undecodable", reason))
            continue
        rows.append(row)
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
    """Read a Parquet file. A row whose string or binary cell is not valid UTF-8 is rejected as
    ``undecodable`` (the rest load); every other row is readable once the file is."""
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise BatchError(f"{path.name}: not a readable Parquet file ({exc})") from exc
    try:
        records: list[dict[str, Any] | str] = list(table.to_pylist())
    except UnicodeDecodeError:  # a string column holds bytes that are not UTF-8: find its rows
        records = [_parquet_row(table, i) for i in range(table.num_rows)]
    rows: list[dict[str, str | None]] = []
    numbers: list[int] = []
    raws: list[str] = []
    rejected: list[Rejected] = []
    for record_no, record in enumerate(records, start=1):
        broken, row = _parquet_text(record)
        if broken is not None:
            raw = _parquet_raw(table, record_no - 1)
            reason = f"undecodable bytes in {broken}: not valid UTF-8"
            rejected.append(Rejected(record_no, None, raw, "undecodable", reason))
            continue
        rows.append(row)
        numbers.append(record_no)
        raws.append(json.dumps(record, ensure_ascii=False, default=_json_default))
    frame = pd.DataFrame(rows, columns=table.column_names, dtype="object")
    frame["_record_no"] = numbers
    frame["_line_no"] = None
    frame["_raw"] = raws
    return RawBatch(frame, rejected)


def _parquet_row(table: pa.Table, i: int) -> dict[str, Any] | str:
    """Row ``i`` as Python values, or the name of its first string column that is not valid UTF-8."""
    row = table.slice(i, 1)
    try:
        return dict(row.to_pylist()[0])
    except UnicodeDecodeError:
        for name, column in zip(row.column_names, row.columns, strict=True):
            try:
                column.to_pylist()
            except UnicodeDecodeError:
                return name
        raise


def _parquet_text(record: dict[str, Any] | str) -> tuple[str | None, dict[str, str | None]]:
    """``(column that is not valid UTF-8 or None, the row as the parsers' strings)``; binary cells are
    decoded as UTF-8 text. ``record`` is a row, or already the name of its undecodable column."""
    if isinstance(record, str):
        return record, {}
    row: dict[str, str | None] = {}
    for key, value in record.items():
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                return key, {}
        row[key] = _as_text(value)
    return None, row


def _parquet_raw(table: pa.Table, i: int) -> str:
    """Row ``i`` for the quarantine, its text cells read as bytes (undecodable ones shown as ``\\xNN``)."""
    cells: dict[str, Any] = {}
    for name, column in zip(table.column_names, table.slice(i, 1).columns, strict=True):
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            column = column.cast(pa.binary())
        try:
            value = column.to_pylist()[0]
        except UnicodeDecodeError:  # a nested column (a list of strings) holding bytes that are not UTF-8
            value = "<not valid UTF-8>"
        cells[name] = (
            _printable(value.decode("utf-8", "surrogateescape")) if isinstance(value, bytes) else value
        )
    return json.dumps(cells, ensure_ascii=False, default=str)


def _json_default(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


READERS = {
    "csv": read_delimited,
    "tsv": lambda path: read_delimited(path, "\t"),
    "jsonl": read_jsonl,
    "parquet": read_parquet,
}
