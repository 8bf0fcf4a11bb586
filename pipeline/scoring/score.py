"""Score a file of reviews: ``reviewpulse score --input reviews.csv --output scores.csv``.

Input: CSV, JSONL or Parquet with ``review_id`` and ``text``; optional ``title`` (scored together with
the text, as in training) and ``language`` (detected where absent). Output: exactly one row per input
``review_id`` (a repeated id keeps its last row) with, at least, ``review_id, language, sentiment,
p_negative, p_neutral, p_positive, stars_pred, model_version``; CSV or Parquet by the extension.

The input is read and written in chunks, so memory stays bounded whatever the file size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import BatchError
from pipeline.scoring.encoder import Encoder
from pipeline.scoring.engine import EmbeddingStore, encode
from pipeline.scoring.heads import HeadSet
from pipeline.sources.language import detect_language, normalise_language

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


def review_text(frame: pd.DataFrame) -> pd.Series:
    """What the encoder reads: ``title. text`` where there is a title, else the text."""
    text = frame["text"].fillna("").astype(str)
    if "title" not in frame:
        return text
    title = frame["title"].fillna("").astype(str).str.strip()
    return (title + ". " + text).where(title != "", text)


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
    for column in ("p_negative", "p_neutral", "p_positive"):
        out[column] = out[column].round(4)
    out["model_version"] = heads.version + ("-int8" if encoder.version.endswith("-int8") else "")
    extra = [c for c in out.columns if c not in OUTPUT_COLUMNS and c != "stars_class"]
    return out[list(OUTPUT_COLUMNS) + extra]


def score_file(
    input_path: Path,
    output_path: Path,
    encoder: Encoder,
    heads: HeadSet,
    store: EmbeddingStore | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 32,
) -> int:
    """Score every review of ``input_path`` into ``output_path``, chunk by chunk; returns rows written.

    Rows are written as they are scored. Should an id repeat, the file is rewritten once at the end
    keeping each id's last row (only the small score rows are read back for that).
    """
    parquet = output_path.suffix.lower() == ".parquet"
    if not parquet and output_path.suffix.lower() != ".csv":
        raise BatchError(f"{output_path.name}: output must end in .csv or .parquet")
    output_path.parent.mkdir(parents=True, exist_ok=True)
    partial = output_path.with_name(output_path.name + ".partial")
    partial.unlink(missing_ok=True)
    seen: set[str] = set()
    repeated = False
    writer: pq.ParquetWriter | None = None
    try:
        for chunk in _chunks(input_path):
            missing = [c for c in REQUIRED if c not in chunk.columns]
            if missing:
                raise BatchError(f"{input_path.name}: required column missing: {', '.join(missing)}")
            scored = score_frame(chunk, encoder, heads, store, progress, batch_size)
            ids = scored["review_id"]
            repeated = repeated or bool(ids.duplicated().any()) or not seen.isdisjoint(ids)
            seen.update(ids)
            if parquet:
                table = pa.Table.from_pandas(scored, preserve_index=False)
                writer = writer or pq.ParquetWriter(partial, table.schema)
                writer.write_table(table)
            else:
                scored.to_csv(partial, mode="a", header=not partial.exists(), index=False)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        if writer is not None:
            writer.close()
    if not seen:
        partial.unlink(missing_ok=True)
        raise BatchError(f"{input_path.name}: no rows to score")
    if repeated:
        frame = pd.read_parquet(partial) if parquet else pd.read_csv(partial, dtype={"review_id": str})
        frame = frame.drop_duplicates("review_id", keep="last")
        frame.to_parquet(partial, index=False) if parquet else frame.to_csv(partial, index=False)
    partial.replace(output_path)
    return len(seen)
