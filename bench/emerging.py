"""Benchmark: emerging-theme discovery against BERTopic's default clustering (HDBSCAN) on the same embeddings.

    .venv/bin/python bench/emerging.py [--per-language 1000]

Data: 1-2 star reviews from the shared MARC en/es and Amazon.com.br pt test files, split into sentences
with a regex, encoded once as the pipeline encodes sentences (``sentence_settings``: the encoder with
the theme sentence adapter, cached in the scorer's embedding store), kept
where the sentiment head calls the sentence negative. Each review gets a synthetic day 1-35 from a hash of
its id; every method then runs twice, on days 1-28 (night 28) and on days 8-35 (night 35, with the
first run's clusters as the previous run), and is measured on the sentences of days 8-28 that both runs
see. Generic verdicts ("Disappointed.", fewer than ``min_content_words`` content words) are left out
by discovery for every method, and the bench prints how many there were:

* **unclustered**: the share of each run's other sentences that get no cluster (HDBSCAN's outliers).
* **same id**: the share of the overlap whose stable id is the same in both runs (an unclustered
  sentence never counts as kept). Every method gets the same id matching (Hungarian on centroid
  cosine), so the differences come from the clustering.
* **ARI**: adjusted Rand index of the two runs' partitions of the overlap, every unclustered sentence
  its own singleton; **ARI clustered**: the same over the overlap sentences both runs cluster. Both runs
  agreeing that a sentence is an outlier counts as agreement in ARI: read it next to the unclustered share.
* **same id +1 day**: the same-id share for the nightly case, days 1-28 then days 2-29.
* **false alarms** (printed under the table, ours only): 14 nightly runs over 21-day windows, each
  warm-started from the night before; the share of cluster-nights flagged rising or fading. The days are
  random, so every flag is a false alarm.

Methods: ``pipeline.themes.emerging`` (average-linkage agglomerative on cosine with a distance threshold,
tiny clusters folded into the nearest sizeable one when similar enough); sklearn ``HDBSCAN`` with
``min_cluster_size=10`` (BERTopic's default) on the 384-d normalised embeddings, and on a 5-d PCA
reduction (BERTopic reduces to 5 dimensions with UMAP first; PCA stands in for UMAP here); and ours with
``anchor=False`` (no warm start from the previous night) to show what the warm start adds.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.settings import Settings
from pipeline.themes.emerging import Clusterer, EmergingConfig, content_words, discover, measure_stability

SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
BASE = date(2026, 10, 1)  # day 1 of the synthetic 35 days


def _stable_hash(value: str) -> int:
    return int(hashlib.sha256(value.encode("utf-8")).hexdigest()[:12], 16)


def _reviews(data: Path) -> pd.DataFrame:
    """1-2 star reviews of the three languages: review_id, language, product_id, text."""
    sentiment = data / "sentiment"
    en = pd.read_json(sentiment / "marc_en.jsonl", lines=True)
    es = pd.read_csv(sentiment / "marc_es.csv")
    pt = pd.read_csv(sentiment / "amazon_br_pt.csv")
    frames = [
        pd.DataFrame({"review_id": en["review_id"], "language": "en", "product_id": en["product_id"],
                      "text": en["review_body"], "stars": en["stars"].astype(int)}),
        pd.DataFrame({"review_id": es["review_id"], "language": "es", "product_id": es["product_id"],
                      "text": es["review_body"], "stars": es["stars"].astype(int)}),
        pd.DataFrame({"review_id": [f"pt_{i}" for i in range(len(pt))], "language": "pt",
                      "product_id": pt["categoria"], "text": pt["text"],
                      "stars": pt["label"].astype(int) + 1}),
    ]  # fmt: skip
    reviews = pd.concat(frames, ignore_index=True)
    reviews = reviews[(reviews["stars"] <= 2) & reviews["text"].notna()].copy()
    reviews["order"] = reviews["review_id"].map(_stable_hash)
    return reviews.sort_values("order").reset_index(drop=True)


def negative_sentences(settings: Settings, per_language: int) -> tuple[pd.DataFrame, np.ndarray]:
    """About ``per_language`` sentences a language from 1-2 star reviews, the negative ones, embedded."""
    from pipeline.scoring.engine import encode
    from pipeline.scoring.service import open_scorer
    from pipeline.themes.apply import sentence_settings
    from pipeline.themes.emerging import leans_negative

    rows = []
    for language, group in _reviews(settings.shared_data_dir).groupby("language", sort=True):
        taken = 0
        for review in group.itertuples():
            day = _stable_hash("day:" + str(review.review_id)) % 35 + 1
            for n, text in enumerate(s.strip() for s in SPLIT.split(str(review.text))):
                if 3 <= len(text.split()) <= 40:
                    rows.append({
                        "sentence_id": f"{review.review_id}:{n}", "review_id": review.review_id,
                        "text": text, "language": language, "day": BASE + timedelta(days=day - 1),
                        "product_id": review.product_id,
                    })  # fmt: skip
                    taken += 1
            if taken >= per_language:
                break
    sentences = pd.DataFrame(rows)
    scorer = open_scorer(sentence_settings(settings))  # the encoder and sentiment head the pipeline uses
    try:
        start = time.perf_counter()
        embeddings = np.concatenate(
            list(encode(scorer.encoder, sentences["text"].tolist(), store=scorer.store))
        )
        print(f"encoded {len(sentences)} sentences in {time.perf_counter() - start:.1f}s "
              f"(cache {'on' if scorer.store else 'busy: off'})")  # fmt: skip
        predicted = scorer.heads.predict(embeddings, sentences["text"].tolist())
    finally:
        scorer.close()
    negative = leans_negative(predicted["p_negative"], predicted["p_positive"])
    return sentences[negative].reset_index(drop=True), embeddings[negative]


def _hdbscan(pca: bool) -> Clusterer:
    from sklearn.cluster import HDBSCAN
    from sklearn.decomposition import PCA

    def cluster(x: np.ndarray, keys: object) -> np.ndarray:
        z = PCA(n_components=5, random_state=42).fit_transform(x) if pca else x
        return np.asarray(HDBSCAN(min_cluster_size=10, copy=True).fit_predict(z))

    return cluster


def _window(first_day: int, last_day: int) -> tuple[date, date]:
    return BASE + timedelta(days=first_day - 1), BASE + timedelta(days=last_day - 1)


def compare(sentences: pd.DataFrame, embeddings: np.ndarray) -> pd.DataFrame:
    """One row per method: clusters, unclustered shares, same-id share, ARI, seconds."""
    methods: list[tuple[str, EmergingConfig, Clusterer | None]] = [
        ("ours: Ward + warm-started spherical k-means", EmergingConfig(), None),
        ("ours without the warm start (anchor=False)", EmergingConfig(anchor=False), None),
        ("HDBSCAN(min_cluster_size=10), 384-d", EmergingConfig(), _hdbscan(pca=False)),
        ("PCA(5) + HDBSCAN(min_cluster_size=10)", EmergingConfig(), _hdbscan(pca=True)),
    ]
    rows = []
    for name, config, clusterer in methods:
        start = time.perf_counter()
        week = measure_stability(sentences, embeddings, _window(1, 28), _window(8, 35), config, clusterer)
        day = measure_stability(sentences, embeddings, _window(1, 28), _window(2, 29), config, clusterer)
        rows.append({
            "method": name, "sentences": f"{week.n_first}/{week.n_second}",
            "clusters": f"{week.clusters_first}/{week.clusters_second}",
            "unclustered": f"{week.unclustered_first:.3f}/{week.unclustered_second:.3f}",
            "same id": round(week.same_id_share, 3), "ARI": round(week.ari, 3),
            "ARI clustered": round(week.ari_clustered, 3), "same id +1 day": round(day.same_id_share, 3),
            "s / run": round((time.perf_counter() - start) / 4, 2),
        })  # fmt: skip
    return pd.DataFrame(rows)


def false_alarms(
    sentences: pd.DataFrame, embeddings: np.ndarray, nights: int = 14, window: int = 21
) -> tuple[int, int]:
    """Nightly runs over ``window``-day windows, each warm-started from the night before: how many
    cluster-nights come out rising or fading, of all. The days are random, so every flag is a false alarm."""
    flagged = total = 0
    previous = None
    for last in range(window, window + nights):
        start, night = _window(last - window + 1, last)
        mask = ((sentences["day"] >= start) & (sentences["day"] <= night)).to_numpy()
        result = discover(sentences[mask], embeddings[mask], previous, night)
        total += len(result.clusters)
        flagged += sum(c.status in ("rising", "fading") for c in result.clusters)
        previous = result.clusters
    return flagged, total


def _markdown(frame: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(frame.columns) + " |", "|---" + "|---:" * (len(frame.columns) - 1) + "|"]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--per-language", type=int, default=1000, help="sentences taken per language")
    args = parser.parse_args()
    sentences, embeddings = negative_sentences(Settings.from_env(), args.per_language)
    counts = sentences["language"].value_counts().sort_index().to_dict()
    generic = int((sentences["text"].map(content_words) < EmergingConfig().min_content_words).sum())
    print(f"{len(sentences)} negative sentences {counts}, of which {generic} generic verdicts that discovery "
          "leaves out (fewer than min_content_words); windows: days 1-28 -> 8-35 (and 2-29)")  # fmt: skip
    print(_markdown(compare(sentences, embeddings)))
    flagged, total = false_alarms(sentences, embeddings)
    print(
        f"\nfalse alarms: 14 nightly runs over 21-day windows (days 1-21 ... 14-34), {flagged} of {total} "
        f"cluster-nights rising or fading ({flagged / max(total, 1):.1%}); the days are random"
    )
    result = discover(sentences, embeddings, None, BASE + timedelta(days=34))
    share = result.unclustered_share
    print(f"\nours on all 35 days: {len(result.clusters)} clusters, unclustered {share:.3f}; largest:")
    for cluster in sorted(result.clusters, key=lambda c: -c.size)[:10]:
        print(f"  {cluster.size:4d}  {'/'.join(cluster.languages):8s}  {cluster.label}")


if __name__ == "__main__":
    main()
