"""Readers keep every record: good ones as rows, broken ones as rejects with the raw text and a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import BatchError
from pipeline.sources.readers import read_delimited, read_jsonl, read_parquet, scrub_emails


def test_csv_keeps_quotes_newlines_and_html_verbatim(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text('id,text\n1,"He said ""hi"", then\nleft <br> ok"\n2,plain\n', encoding="utf-8")
    batch = read_delimited(path)
    assert batch.rows["text"].tolist() == ['He said "hi", then\nleft <br> ok', "plain"]
    assert batch.rows["_record_no"].tolist() == [1, 2]
    assert batch.rows["_line_no"].tolist() == [2, 4]
    assert batch.rejected == []


def test_csv_undecodable_record_is_rejected_and_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"id,text\n1,good\n2,bad \xff\xfe bytes\n3,also good\n")
    batch = read_delimited(path)
    assert batch.rows["id"].tolist() == ["1", "3"]
    assert [(r.record_no, r.code) for r in batch.rejected] == [(2, "undecodable")]
    assert "\\xff\\xfe" in batch.rejected[0].raw
    assert batch.records_read == 3


def test_csv_wrong_field_count_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("id,text,rating\n1,a,5\n2,b\n", encoding="utf-8")
    batch = read_delimited(path)
    assert [(r.record_no, r.code) for r in batch.rejected] == [(2, "malformed_record")]
    assert "expected 3 fields, found 2" in batch.rejected[0].reason


def test_tsv_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    path.write_text("\ufeffDate\tRating\n11/21/26\t5\n", encoding="utf-8")
    batch = read_delimited(path, "\t")
    assert batch.columns == ["Date", "Rating"]


@pytest.mark.parametrize("content", [b"", b"\n\n"])
def test_empty_file_is_a_batch_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(content)
    with pytest.raises(BatchError, match="empty"):
        read_delimited(path)


def test_missing_file_is_a_batch_error(tmp_path: Path) -> None:
    with pytest.raises(BatchError, match="cannot read"):
        read_delimited(tmp_path / "nope.csv")


def test_jsonl_broken_line_and_non_object(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(
        b'{"id": 1, "ok": true, "style": {"a": 1}}\n{"id": 2, "text": "trunc\n[1, 2]\n\n{"id": 4}\n'
    )
    batch = read_jsonl(path)
    assert batch.rows["id"].tolist() == ["1", "4"]
    assert batch.rows["ok"].tolist()[0] == "true"
    assert batch.rows["style"].tolist()[0] == '{"a": 1}'
    assert [(r.record_no, r.line_no, r.code) for r in batch.rejected] == [
        (2, 2, "broken_json"),
        (3, 3, "broken_json"),
    ]
    assert batch.records_read == 4


def test_corrupt_parquet_is_a_batch_error(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(BatchError, match="not a readable Parquet"):
        read_parquet(path)


def test_csv_rows_swallowed_by_an_unclosed_quote_are_quarantined_not_hidden(tmp_path: Path) -> None:
    """An unclosed quote makes the next lines part of one text; those lines read as whole records, so
    the record is rejected with them (visible in the quarantine) instead of loading as one review."""
    path = tmp_path / "r.csv"
    path.write_text(
        "id,product,rating,date,text\n"
        '1,p,5,2026-11-01,"broken text\n2,p,4,2026-11-01,ok text\n3,p,4,2026-11-01,more\n'
        '4,p,4,2026-11-01,"x"\n'
        "5,p,4,2026-11-01,last\n"
        '6,p,3,2026-11-01,"a real review\nover lines, with a comma\n\nand the end, too"\n'
        '7,p,3,2026-11-01,"short\nthen, a, b, c, the end"\n'
        '8,p,3,2026-11-01,"intro\ncolors: nice, red, pink, fun\nfast,cheap,light,small,fun\nend"\n'
        '9,p,3,2026-11-01,"one swallowed\n10,p,2,2026-11-02,"the next review"\n'
        "11,p,5,2026-11-02,after\n",
        encoding="utf-8",
    )
    batch = read_delimited(path)
    rejected = [(r.record_no, r.line_no, r.code) for r in batch.rejected]
    assert rejected == [(1, 2, "malformed_record"), (6, 17, "malformed_record")]
    assert "runs over 3 later line(s) that read as whole records" in batch.rejected[0].reason
    assert "2,p,4,2026-11-01,ok text" in batch.rejected[0].raw
    assert "runs over 1 later line(s)" in batch.rejected[1].reason and "10,p,2" in batch.rejected[1].raw
    # multi-line texts load, also when a line of prose has as many commas as a record has fields
    assert batch.rows["id"].tolist() == ["5", "6", "7", "8", "11"]


def test_jsonl_escaped_lone_surrogate_is_rejected_and_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": 1, "text": "fine \\ud83d\\ude00"}\n{"id": 2, "text": "cut \\ud83d"}\n{"id": 3}\n',
                    encoding="utf-8")  # fmt: skip
    batch = read_jsonl(path)
    assert batch.rows["id"].tolist() == ["1", "3"]
    assert batch.rows["text"].tolist()[0] == "fine \U0001f600"  # a whole escaped pair is an emoji
    assert [(r.record_no, r.code) for r in batch.rejected] == [(2, "undecodable")]
    assert "lone surrogate" in batch.rejected[0].reason and "\\ud83d" in batch.rejected[0].raw


def test_parquet_cells_that_are_not_utf8_are_rejected_and_others_kept(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    values = [b"ok text", b"caf\xe9 latin-1", b"also ok"]
    ends = [sum(len(v) for v in values[:i]) for i in range(len(values) + 1)]
    offsets = pa.array(ends, pa.int32()).buffers()[1]  # a string column holding the bytes as they are
    text = pa.Array.from_buffers(pa.string(), 3, [None, offsets, pa.py_buffer(b"".join(values))])
    pq.write_table(pa.table({"id": ["1", "2", "3"], "text": text}), tmp_path / "s.parquet")
    pq.write_table(
        pa.table({"id": ["1", "2"], "text": pa.array(values[:2], pa.binary())}), tmp_path / "b.parquet"
    )
    strings, binary = read_parquet(tmp_path / "s.parquet"), read_parquet(tmp_path / "b.parquet")
    assert strings.rows["text"].tolist() == ["ok text", "also ok"]
    assert binary.rows["text"].tolist() == ["ok text"]  # binary cells are read as UTF-8 text, not b'...'
    nested = pa.ListArray.from_arrays(pa.array([0, 1, 2, 3], pa.int32()), text)
    pq.write_table(pa.table({"id": ["1", "2", "3"], "tags": nested}), tmp_path / "l.parquet")
    listed = read_parquet(tmp_path / "l.parquet")
    assert listed.rows["id"].tolist() == ["1", "3"] and "<not valid UTF-8>" in listed.rejected[0].raw
    for batch in (strings, binary):
        assert [(r.record_no, r.code) for r in batch.rejected] == [(2, "undecodable")]
        assert "undecodable bytes in text" in batch.rejected[0].reason
        assert "caf\\\\xe9" in batch.rejected[0].raw  # JSON of the row, the bad byte shown as \xe9


def test_scrub_emails() -> None:
    assert scrub_emails("from ana.souza42@example.com, broken") == "from [redacted-email], broken"
