"""Benchmark: the scoring engine against the first thing an expert would write, on the same texts.

    .venv/bin/python bench/scoring.py [--n 384] [--threads 2]

* **naive**: one ``transformers.pipeline("feature-extraction")`` per task (sentiment, then stars), each
  run over the texts in input order, one text at a time; mean-pool + L2-normalise, then the head.
* **engine**: ``pipeline.scoring``: one tokenize + encode pass feeds both heads; batches sorted by length.
* **engine int8**: the same with dynamic int8 quantisation of the Linear layers.

Accuracy is measured for each on the same labelled texts (held-out test split of the shared data when
present, else demo texts without labels). The FLOP-bound limit is model FLOPs per token x tokens,
divided by the matmul FLOP/s measured here. The last line is ``speedup_vs_naive=<x>``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from pipeline.scoring.encoder import PREFIX, load_encoder
from pipeline.scoring.engine import encode
from pipeline.scoring.heads import load_heads
from pipeline.settings import Settings


def _texts(settings: Settings, n: int) -> pd.DataFrame:
    from pipeline.scoring.training_data import load_mixture

    try:
        mixture = load_mixture(settings.shared_data_dir)
    except Exception:  # no shared data: demo texts, no labels
        import tempfile
        from datetime import date

        from pipeline.demo import generate_demo

        tmp = Path(tempfile.mkdtemp())
        generate_demo(tmp / "landing", tmp / "truth.json", start=date(2026, 11, 2), nights=1)
        frame = pd.read_csv(next((tmp / "landing").rglob("reviews.csv")))
        return pd.DataFrame({"text": frame["text"].astype(str), "stars": np.nan, "sentiment": np.nan}).head(n)
    test = mixture[
        (mixture["split"] == "test") & mixture["dataset"].isin(["marc_en", "marc_es", "amazon_br_pt"])
    ]
    return test.sample(min(n, len(test)), random_state=1).reset_index(drop=True)


def _accuracy(frame: pd.DataFrame, out: dict[str, np.ndarray]) -> tuple[float, float]:
    rated = frame["stars"].notna().to_numpy()
    if not rated.any():
        return float("nan"), float("nan")
    sentiment = np.argmax(np.stack([out["p_negative"], out["p_neutral"], out["p_positive"]], axis=1), axis=1)
    return (float(np.mean(sentiment[rated] == frame["sentiment"].to_numpy()[rated])),
            float(np.mean(out["stars_class"][rated] == frame["stars"].to_numpy()[rated])))  # fmt: skip


def naive(settings: Settings, frame: pd.DataFrame) -> tuple[float, dict[str, np.ndarray]]:
    from transformers import pipeline

    from pipeline.scoring.encoder import model_version, prepare_encoder, with_adapter

    heads = {h.name: h for h in load_heads(*settings.heads_dirs).heads}
    reference = prepare_encoder(settings)
    extractor = pipeline("feature-extraction", model=reference, framework="pt", device="cpu",
                         model_kwargs={"add_pooling_layer": False})  # fmt: skip
    with_adapter(extractor.model, model_version(reference), settings.encoder_adapter)  # the same weights
    out: dict[str, np.ndarray] = {}
    start = time.perf_counter()
    for task in ("sentiment", "stars"):  # one pipeline pass per task, as a first version would do
        vectors = []
        for text in frame["text"]:
            hidden = np.asarray(extractor(PREFIX + text, truncation=True, max_length=512)[0])
            pooled = hidden.mean(axis=0)
            vectors.append(pooled / np.linalg.norm(pooled))
        out.update(heads[task].predict(np.stack(vectors), frame["text"].tolist()))
    return time.perf_counter() - start, out


def engine(settings: Settings, frame: pd.DataFrame, int8: bool) -> tuple[float, dict[str, np.ndarray], int]:
    encoder = load_encoder(settings, int8=int8)
    heads = load_heads(*settings.heads_dirs)
    start = time.perf_counter()
    embeddings = np.concatenate(list(encode(encoder, frame["text"].tolist(), batch_size=32)))
    out = heads.predict(embeddings, frame["text"].tolist())
    tokens = sum(len(ids) for ids in encoder.token_ids(frame["text"].tolist()))
    return time.perf_counter() - start, out, tokens


def flops_per_token(seq_len: float, hidden: int = 384, ffn: int = 1536, layers: int = 12) -> float:
    """Multiply-adds x 2 per token: Q, K, V, O projections, the FFN, and attention over seq_len tokens."""
    return layers * (2 * 4 * hidden * hidden + 2 * 2 * hidden * ffn + 2 * 2 * seq_len * hidden)


def matmul_flops() -> float:
    a, b = torch.randn(2048, 384), torch.randn(384, 1536)
    for _ in range(3):
        a @ b
    start, reps = time.perf_counter(), 20
    for _ in range(reps):
        a @ b
    return reps * 2 * 2048 * 384 * 1536 / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=384)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    settings = Settings.from_env()
    frame = _texts(settings, args.n)
    n = len(frame)

    t_engine, out_engine, tokens = engine(settings, frame, int8=False)
    t_int8, out_int8, _ = engine(settings, frame, int8=True)
    t_naive, out_naive = naive(settings, frame)
    flops = flops_per_token(tokens / n) * tokens
    limit = matmul_flops() / flops * n

    rows = [("naive: pipeline per task, input order", t_naive, out_naive),
            ("engine: one pass, length-sorted batches", t_engine, out_engine),
            ("engine int8", t_int8, out_int8)]  # fmt: skip
    print(f"{n} texts, {tokens / n:.0f} tokens on average, {args.threads} torch threads")
    print("| variant | seconds | texts/s | sentiment acc | star exact | vs naive |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, seconds, out in rows:
        sentiment, stars = _accuracy(frame, out)
        print(f"| {name} | {seconds:.1f} | {n / seconds:.1f} | {sentiment:.3f} | {stars:.3f} | "
              f"{t_naive / seconds:.2f}x |")  # fmt: skip
    print(f"| FLOP-bound limit (matmul at measured FLOP/s) | {n / limit:.1f} | {limit:.1f} | | | |")
    print(f"speedup_vs_naive={t_naive / t_engine:.2f}")


if __name__ == "__main__":
    main()
