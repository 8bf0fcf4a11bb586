"""Score a file of reviews: ``reviewpulse score --input reviews.csv --output scores.csv``.

Input: CSV, JSONL or Parquet with ``review_id`` and ``text``; optional ``title`` (scored together with
the text, as in training) and ``language`` (detected where absent). Output: exactly one row per input
``review_id`` (a repeated id keeps its last row) with, at least, ``review_id, language, sentiment,
p_negative, p_neutral, p_positive, stars_pred, model_version``, then the fake-review columns and ``themes``
(semicolon-separated complaint theme ids, empty if none); CSV or Parquet by the extension. A row with
neither text nor title keeps its id and gets no text scores (empty cells).

The input is read and written in chunks, so memory stays bounded whatever the file size.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import BatchError
from pipeline.fake.detect import FileOpinions
from pipeline.fake.signals import FakeConfig
from pipeline.scoring.encoder import Encoder
from pipeline.scoring.engine import EmbeddingStore, encode
from pipeline.scoring.heads import HeadSet
from pipeline.sources.language import detect_language, normalise_language
from pipeline.sources.parsers import has_content
from pipeline.themes.apply import split_texts, theme_sentences, unit_text
from pipeline.themes.assign import ThemeModel

OUTPUT_COLUMNS = ("review_id", "language", "sentiment", "p_negative", "p_neutral", "p_positive", "stars_pred",
                  "model_version")  # fmt: skip
REQUIRED = ("review_id", "text")
CHUNK_ROWS = 4096


def _chunks(path: Path) -> Iterator[pd.DataFrame]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            for batch in pq.ParquetFile(path).iter_batches(batch_size=CHUNK_ROWS):
                yield batch.to_pandas()
        elif suffix in (".jsonl", ".json", ".ndjson"):
            yield from pd.read_json(path, lines=True, chunksize=CHUNK_ROWS, dtype=False)
        elif suffix in (".csv", ".tsv", ".txt"):
            yield from pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", chunksize=CHUNK_ROWS,
                                   dtype=str, keep_default_na=False)  # fmt: skip
        else:
            raise BatchError(f"{path.name}: unknown input format {suffix!r}; use .csv, .jsonl or .parquet")
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise BatchError(f"{path.name}: cannot read input ({exc})") from exc


def count_rows(path: Path) -> int | None:
    """The input's row count for the progress bar, read the way ``_chunks`` reads the file (Parquet from
    its metadata; CSV rows past the header and non-blank JSONL lines by a streaming pass, seconds for a
    million reviews against hours of encoding); None where the file cannot be read (scoring then says
    why)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return int(pq.ParquetFile(path).metadata.num_rows)
        if suffix in (".jsonl", ".json", ".ndjson"):
            with path.open("rb") as handle:
                return sum(1 for line in handle if line.strip())
        if suffix in (".csv", ".tsv", ".txt"):
            with path.open(newline="", encoding="utf-8", errors="replace") as handle:
                rows = csv.reader(handle, delimiter="\t" if suffix == ".tsv" else ",")
                return max(sum(1 for row in rows if any(field.strip() for field in row)) - 1, 0)
    except (OSError, csv.Error, pa.ArrowException):
        return None
    return None


def review_text(frame: pd.DataFrame) -> pd.Series:
    """What the encoder reads: ``title. text`` where there is a title, else the text."""
    text = frame["text"].fillna("").astype(str)
    if "title" not in frame:
        return text
    title = frame["title"].fillna("").astype(str).str.strip()
    return (title + ". " + text).where(title.map(has_content), text)


def score_frame(
    frame: pd.DataFrame, encoder: Encoder, heads: HeadSet, store: EmbeddingStore | None = None,
    progress: Callable[[int], None] | None = None, batch_size: int = 32,
) -> pd.DataFrame:  # fmt: skip
    """Scores for one chunk of reviews (already validated to have review_id and text)."""
    texts = review_text(frame).tolist()
    chunk = max(len(texts), 1)
    embeddings = next(iter(encode(encoder, texts, store=store, chunk_size=chunk, batch_size=batch_size,
                                  progress=progress)))  # fmt: skip
    out = pd.DataFrame({"review_id": frame["review_id"].astype(str).to_numpy()})
    given = frame["language"] if "language" in frame else pd.Series([None] * len(frame), index=frame.index)
    out["language"] = [
        normalise_language(g) if isinstance(g, str) and g.strip() else detect_language(t)
        for g, t in zip(given, texts, strict=True)
    ]
    for column, values in heads.predict(embeddings, texts).items():
        out[column] = values
    out["stars_pred"] = out["stars_pred"].clip(1.0, 5.0).round(3)
    for column in ("p_negative", "p_neutral", "p_positive", "p_deceptive", "p_generated"):
        if column in out:
            out[column] = out[column].round(4)
    out["model_version"] = heads.version + ("-int8" if encoder.version.endswith("-int8") else "")
    extra = [c for c in out.columns if c not in OUTPUT_COLUMNS and c != "stars_class"]
    out = out[list(OUTPUT_COLUMNS) + extra]
    blank = np.array([not has_content(t) for t in texts], dtype=bool)
    if blank.any():  # no title and no text: nothing to read, so no scores (the row stays, its id kept)
        out.loc[blank, [c for c in out.columns if c != "review_id"]] = None
    return out


FAKE_COLUMNS = ("fake_probability", "p_deceptive", "p_generated", "fake_reasons")


@dataclass(frozen=True)
class ScoredFile:
    """What ``score_file`` wrote: ``reviews`` output rows (one per review_id) from ``rows`` input rows."""

    rows: int
    reviews: int

    @property
    def repeated(self) -> int:
        """Input rows whose review_id a later row repeats (only the later row is in the output)."""
        return self.rows - self.reviews


def row_themes(sentences: pd.DataFrame, rows: int, theme_ids: Sequence[str]) -> list[str]:
    """Per input row, the semicolon-separated theme ids of its sentences (taxonomy order), "" if none."""
    found: list[set[str]] = [set() for _ in range(rows)]
    for row, themes in zip(sentences["row"], sentences["themes"], strict=True):
        found[int(row)].update(themes)
    return [";".join(t for t in theme_ids if t in row_set) for row_set in found]


def _sentence_rows(sentences: pd.DataFrame, review_ids: pd.Series, first_seq: int) -> pd.DataFrame:
    """The sentence-level output: one row per sentence with its review_id, sentiment and themes, and
    ``_seq``, the input row it came from (``first_seq`` is the chunk's first), so that a repeated
    review_id's sentences can be kept from its last row only."""
    rows = sentences["row"].to_numpy(dtype=int)
    out = sentences.drop(columns=["row", "text_key"])
    out.insert(0, "review_id", review_ids.astype(str).to_numpy()[rows])
    out.insert(0, "_seq", rows + first_seq)
    out["themes"] = [";".join(t) for t in out["themes"]]
    out["theme_scores"] = [";".join(f"{v:.4f}" for v in scores) for scores in out["theme_scores"]]
    return out


def check_paths(input_path: Path, output_path: Path, sentences_path: Path | None = None) -> None:
    """The checks ``score_file`` makes before reading anything, for callers to make before loading models:
    known output formats, and no output that would overwrite the input or the other output."""
    if output_path.suffix.lower() not in (".csv", ".parquet"):
        raise BatchError(f"{output_path.name}: output must end in .csv or .parquet")
    if sentences_path is not None and sentences_path.suffix.lower() not in (".csv", ".parquet"):
        raise BatchError(f"{sentences_path.name}: sentence output must end in .csv or .parquet")
    named = [("--input", input_path), ("--output", output_path)]
    if sentences_path is not None:
        named.append(("--sentences", sentences_path))
    for i, (name, path) in enumerate(named):
        for other, other_path in named[i + 1 :]:
            if path.resolve() == other_path.resolve():
                raise BatchError(f"{other} {other_path} is the same file as {name}: give it another path")


def score_file(
    input_path: Path,
    output_path: Path,
    encoder: Encoder,
    heads: HeadSet,
    store: EmbeddingStore | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 32,
    fakes: FakeConfig | None = None,
    sql: Callable[[str], str] | None = None,
    themes: ThemeModel | None = None,
    sentences_path: Path | None = None,
    theme_encoder: Encoder | None = None,
) -> ScoredFile:
    """Score every review of ``input_path`` into ``output_path``, chunk by chunk; returns the input rows
    read and the reviews written.

    Text scores are written to a partial file as they come. With ``fakes`` (the fake-signal config) and
    ``sql`` (SQL text by name), the file's reviews also get ``fake_probability`` and ``fake_reasons``:
    behavioural signals over the whole file where it has product, reviewer, rating and date columns,
    text-only otherwise (``pipeline.fake.detect.FileOpinions``). The final file is written by DuckDB
    from the partial one, keeping each repeated id's last row, so neither texts nor all scores sit in
    memory at once.

    With ``themes`` (the theme model) each row gets ``themes``, the complaint themes of its sentences;
    ``sentences_path`` (CSV or Parquet) then receives one row per sentence, with its own sentiment.
    Sentences are encoded by ``theme_encoder`` (the encoder the theme model was loaded with; default
    ``encoder``).
    """
    check_paths(input_path, output_path, sentences_path)
    parquet = output_path.suffix.lower() == ".parquet"
    if fakes is not None and sql is None:
        raise ValueError("fake scoring needs the SQL lookup too")
    if sentences_path is not None and themes is None:
        raise ValueError("sentence output needs the theme model")
    sentence_writer = _Appender(sentences_path) if sentences_path is not None else None
    output_path.parent.mkdir(parents=True, exist_ok=True)
    partial = output_path.with_name(output_path.name + ".partial")
    partial.unlink(missing_ok=True)
    rows = 0
    writer: pq.ParquetWriter | None = None
    with tempfile.TemporaryDirectory(prefix="reviewpulse-score-") as tmp:
        con = duckdb.connect(str(Path(tmp) / "score.duckdb"))
        try:
            opinions = FileOpinions(con) if fakes is not None else None
            try:
                for chunk in _chunks(input_path):
                    missing = [c for c in REQUIRED if c not in chunk.columns]
                    if missing:
                        raise BatchError(f"{input_path.name}: required column missing: {', '.join(missing)}")
                    if chunk.empty:  # a CSV with a header only: its one chunk has no rows
                        continue
                    ids = chunk["review_id"]
                    blank = (ids.isna() | (ids.astype(str).str.strip() == "")).to_numpy()
                    if blank.any():  # the output has one row per id: a row without one has nowhere to go
                        raise BatchError(f"{input_path.name}: data row {rows + int(blank.argmax()) + 1} has "
                                         "no review_id (every row needs one)")  # fmt: skip
                    scored = score_frame(chunk, encoder, heads, store, progress, batch_size)
                    if themes is not None:
                        titles = chunk["title"] if "title" in chunk else [None] * len(chunk)
                        texts = [unit_text(t, x) for t, x in zip(titles, chunk["text"], strict=True)]
                        units = split_texts(texts, scored["language"].tolist())
                        themed = theme_sentences(themes, theme_encoder or encoder, store, units)
                        scored["themes"] = row_themes(themed, len(scored), themes.taxonomy.ids)
                        if sentence_writer is not None:
                            sentence_writer.write(_sentence_rows(themed, scored["review_id"], rows))
                    if opinions is not None:
                        opinions.add(chunk, review_text(chunk).tolist(), scored)
                    scored.insert(0, "_seq", range(rows, rows + len(scored)))
                    rows += len(scored)
                    if parquet:
                        table = pa.Table.from_pandas(scored, preserve_index=False)
                        writer = writer or pq.ParquetWriter(partial, table.schema)
                        writer.write_table(table)
                    else:
                        scored.to_csv(partial, mode="a", header=not partial.exists(), index=False)
            finally:
                if writer is not None:
                    writer.close()
                if sentence_writer is not None:
                    sentence_writer.close()
            if not rows:
                raise BatchError(f"{input_path.name}: no rows to score")
            written = _finish(con, partial, output_path, parquet, opinions, fakes, sql)
            if sentence_writer is not None:
                sentence_writer.keep_last_rows(con)
        except BaseException:
            partial.unlink(missing_ok=True)
            if sentence_writer is not None:
                sentence_writer.discard()
            raise
        finally:
            con.close()
    partial.unlink(missing_ok=True)
    if sentence_writer is not None:
        sentence_writer.publish()
    return ScoredFile(rows=rows, reviews=written)


class _Appender:
    """Writes frames chunk by chunk to a partial CSV or Parquet file, renamed into place when done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        self.partial.unlink(missing_ok=True)
        self.parquet = path.suffix.lower() == ".parquet"
        self.writer: pq.ParquetWriter | None = None

    def write(self, frame: pd.DataFrame) -> None:
        if self.parquet:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            self.writer = self.writer or pq.ParquetWriter(self.partial, table.schema)
            self.writer.write_table(table)
        else:
            frame.to_csv(self.partial, mode="a", header=not self.partial.exists(), index=False)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def keep_last_rows(self, con: duckdb.DuckDBPyConnection) -> None:
        """Drop the sentences of rows whose review_id a later row repeats (``scores`` in ``con`` has each
        row's ``review_id`` and ``_seq``), and the ``_seq`` column, as the main output keeps the last row."""
        self.close()
        if not self.partial.exists():
            return
        kept = self.partial.with_name(self.partial.name + ".kept")
        options = "(format parquet)" if self.parquet else "(format csv, header true)"
        target = "'" + str(kept).replace("'", "''") + "'"
        source = _reader(self.partial, self.parquet)
        con.execute(
            f"copy (select * exclude (_seq) from {source} where cast(_seq as bigint) in "
            "(select max(_seq) from scores group by review_id) "
            f"order by cast(_seq as bigint), cast(sentence_index as bigint)) to {target} {options}"
        )
        kept.replace(self.partial)

    def discard(self) -> None:
        self.close()
        self.partial.unlink(missing_ok=True)

    def publish(self) -> None:
        self.close()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.partial.exists():  # no sentence in the whole file: an empty file with the header
            self.partial.write_text("review_id,sentence_index,sentence,themes\n", encoding="utf-8")
        self.partial.replace(self.path)


def _reader(path: Path, parquet: bool) -> str:
    quoted = "'" + str(path).replace("'", "''") + "'"
    return f"read_parquet({quoted})" if parquet else f"read_csv({quoted}, all_varchar = true, header = true)"


def _finish(
    con: duckdb.DuckDBPyConnection, partial: Path, output_path: Path, parquet: bool,
    opinions: FileOpinions | None, fakes: FakeConfig | None, sql: Callable[[str], str] | None,
) -> int:  # fmt: skip
    """Write the output: the last row per review_id, in input order, with the fake columns if asked."""
    source = _reader(partial, parquet)  # a CSV's _seq is read back as text: compare it as a number
    con.execute(f"create table scores as select * replace (cast(_seq as bigint) as _seq) from {source}")
    present = {r[0] for r in con.execute("select column_name from (describe scores)").fetchall()}
    for column in ("p_deceptive", "p_generated"):
        if column not in present:
            con.execute(f"alter table scores add column {column} double")
    fake_select = ""
    if opinions is not None and fakes is not None and sql is not None:
        con.register("fake_rows", opinions.score(fakes, sql))
        con.execute("create table fake as select * from fake_rows")
        con.unregister("fake_rows")
        # a row with nothing to read has no scores and no model version (``score_frame``): no fake score
        fake_select = "".join(
            f", case when scores.model_version is null then null else fake.{c} end as {c}"
            for c in ("fake_probability", "fake_reasons")
        )
    columns = [c for c in (r[0] for r in con.execute("select column_name from (describe scores)").fetchall())
               if c not in ("_seq", "fake_probability", "fake_reasons")]  # fmt: skip
    join = "left join fake using (review_id)" if fake_select else ""
    target = "'" + str(partial.with_name(partial.name + ".out")).replace("'", "''") + "'"
    options = "(format parquet)" if parquet else "(format csv, header true)"
    con.execute(
        f"copy (select {', '.join(f'scores.{c}' for c in columns)}{fake_select} from scores {join} "
        "qualify row_number() over (partition by scores.review_id order by scores._seq desc) = 1 "
        f"order by scores._seq) to {target} {options}"
    )
    partial.with_name(partial.name + ".out").replace(output_path)
    return int(con.execute("select count(distinct review_id) from scores").fetchall()[0][0])
