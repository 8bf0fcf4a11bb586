"""The inference engine: one tokenize + encode pass per distinct text, in length-sorted batches, with a
content-hash cache of embeddings so text already seen by the same encoder is never encoded again.

Memory stays bounded: callers hand texts in chunks (``encode`` takes any iterable and works through it
``chunk_size`` texts at a time); only one chunk's token ids and one batch's activations live at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import duckdb
import numpy as np

from pipeline.scoring.encoder import Encoder

ProgressFn = Callable[[int], None]


def text_key(text: str) -> str:
    """The cache key of a text (sha256 of its UTF-8 bytes, as encoded: prefix and cut are the encoder's)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class EmbeddingStore:
    """Embeddings by (encoder version, text hash) in a DuckDB file; a missing file starts empty."""

    def __init__(self, path: Path, dim: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.dim = dim
        self.con = duckdb.connect(str(path))
        self.con.execute(
            f"create table if not exists embeddings (model_version varchar, text_key varchar, "
            f"vector float[{dim}], primary key (model_version, text_key))"
        ).fetchall()

    def get(self, version: str, keys: list[str]) -> dict[str, np.ndarray]:
        if not keys:
            return {}
        rows = self.con.execute(
            "select text_key, vector from embeddings where model_version = ? and text_key in "
            "(select unnest(?::varchar[]))",
            [version, keys],
        ).fetchall()
        return {k: np.asarray(v, dtype=np.float32) for k, v in rows}

    def put(self, version: str, keys: list[str], vectors: np.ndarray) -> None:
        import pandas as pd

        frame = pd.DataFrame(
            {"model_version": version, "text_key": keys, "vector": list(vectors.astype(np.float32))}
        )
        self.con.register("new_vectors", frame)
        try:
            self.con.execute(
                f"insert or ignore into embeddings select model_version, text_key, vector::float[{self.dim}] "
                "from new_vectors"
            ).fetchall()
        finally:
            self.con.unregister("new_vectors")

    def close(self) -> None:
        self.con.close()


def _batches(lengths: list[int], batch_size: int, token_budget: int) -> Iterator[list[int]]:
    """Indices grouped into batches of similar length (longest first), capped by count and padded tokens."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batch: list[int] = []
    for i in order:
        if batch and (len(batch) >= batch_size or lengths[batch[0]] * (len(batch) + 1) > token_budget):
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


def encode(
    encoder: Encoder,
    texts: Iterable[str],
    *,
    store: EmbeddingStore | None = None,
    batch_size: int = 32,
    chunk_size: int = 2048,
    token_budget: int = 8192,
    progress: ProgressFn | None = None,
) -> Iterator[np.ndarray]:
    """Yield one embedding matrix per chunk of ``chunk_size`` input texts, rows in input order.

    Within a chunk, duplicate texts are encoded once, cached texts not at all, and the rest in
    length-sorted batches. ``progress`` is told how many texts of the chunk are done.
    """
    chunk: list[str] = []
    for text in texts:
        chunk.append(text)
        if len(chunk) == chunk_size:
            yield _encode_chunk(encoder, chunk, store, batch_size, token_budget, progress)
            chunk = []
    if chunk:
        yield _encode_chunk(encoder, chunk, store, batch_size, token_budget, progress)


def _encode_chunk(
    encoder: Encoder,
    texts: list[str],
    store: EmbeddingStore | None,
    batch_size: int,
    token_budget: int,
    progress: ProgressFn | None,
) -> np.ndarray:
    keys = [text_key(t) for t in texts]
    unique: dict[str, str] = dict(zip(keys, texts, strict=True))
    found = store.get(encoder.version, list(unique)) if store else {}
    todo = [k for k in unique if k not in found]
    if progress:
        progress(len(texts) - len(todo))
    if todo:
        ids = encoder.token_ids([unique[k] for k in todo])
        fresh_keys: list[str] = []
        fresh: list[np.ndarray] = []
        for batch in _batches([len(x) for x in ids], batch_size, token_budget):
            vectors = encoder.embed_ids([ids[i] for i in batch])
            for i, vector in zip(batch, vectors, strict=True):
                found[todo[i]] = vector
            fresh_keys.extend(todo[i] for i in batch)
            fresh.append(vectors)
            if progress:
                progress(len(batch))
        if store:
            store.put(encoder.version, fresh_keys, np.concatenate(fresh))
    return np.stack([found[k] for k in keys]).astype(np.float32)
