"""Open everything scoring needs (encoder, heads, embedding cache) once, for the CLI and the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb

from pipeline.scoring.encoder import Encoder, shared_encoder
from pipeline.scoring.engine import EmbeddingStore
from pipeline.scoring.heads import HeadSet, load_heads
from pipeline.settings import Settings


@dataclass
class Scorer:
    encoder: Encoder
    heads: HeadSet
    store: EmbeddingStore | None

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def open_scorer(settings: Settings, *, threads: int | None = None) -> Scorer:
    """The encoder (loaded once per process, ``shared_encoder``) and the heads; the shared embedding cache
    unless another process holds it."""
    if threads:
        settings = replace(settings, torch_threads=threads)
    heads = load_heads(*settings.heads_dirs)
    encoder = shared_encoder(settings)
    heads.require_encoder(encoder.version, f"the heads ({', '.join(map(str, settings.heads_dirs))})")
    try:
        store: EmbeddingStore | None = EmbeddingStore(
            settings.models_dir / "embedding-cache.duckdb", encoder.dim
        )
    except duckdb.IOException:  # another scorer holds the cache: score without it rather than wait
        store = None
    return Scorer(encoder=encoder, heads=heads, store=store)
