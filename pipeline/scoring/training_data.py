"""The training mixture for the sentiment and star heads, read from ``../shared/data/sentiment``.

Label mapping (documented in the model card):

* **stars** (1-5) where a source has a 1-5 rating: MARC en/es ``stars``, Amazon-BR ``label + 1``,
  Rest-Mex ``Label``, Cuban hotels ``Class``, Cuban restaurants ``Polarity``, clothing ``Rating``,
  TripAdvisor ``rating``;
* **sentiment** (0 negative, 1 neutral, 2 positive): from stars (1-2, 3, 4-5) where there are stars;
  drug reviews' own positive/neutral/negative; UCI sentences 0/1; Booking's separate positive and
  negative text parts (the placeholders "No Negative" / "No Positive" dropped).

Splits are by a hash of the text, so duplicates never straddle train and test, and they do not
change when a dataset grows: 80% train, 10% dev, 10% test. Each dataset is capped so one large source
does not drown the others; the caps and the seed are fixed, so the mixture is reproducible, and
``manifest`` records every file's sha256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import ReviewPulseError
from pipeline.scoring.heads import SENTIMENT_LABELS

SEED = 13
SENTIMENT_CODES = {label: float(code) for code, label in enumerate(SENTIMENT_LABELS)}
"""A sentiment label's class in the sentiment head (0 negative, 1 neutral, 2 positive)."""


def _stars_to_sentiment(stars: pd.Series) -> pd.Series:
    return stars.map(lambda s: np.nan if pd.isna(s) else (0 if s <= 2 else (1 if s == 3 else 2)))


def _frame(
    text: pd.Series, lang: str, stars: pd.Series | None = None, sentiment: pd.Series | None = None
) -> pd.DataFrame:
    out = pd.DataFrame({"text": text.astype("object"), "language": lang})
    out["stars"] = stars.astype("float64") if stars is not None else np.nan
    out["sentiment"] = (
        sentiment.astype("float64") if sentiment is not None else _stars_to_sentiment(out["stars"])
    )
    return out


def _join(*parts: pd.Series) -> pd.Series:
    """Title and body as one text, as the scorer sees them."""
    cleaned = [p.fillna("").astype(str).str.strip() for p in parts]
    out = cleaned[0]
    for part in cleaned[1:]:
        out = out.where(part == "", (out + ". " + part).where(out != "", part))
    return out


def _marc_en(d: Path) -> pd.DataFrame:
    raw = pd.read_json(d / "marc_en.jsonl", lines=True, dtype={"stars": "float64"})
    return _frame(_join(raw["review_title"], raw["review_body"]), "en", raw["stars"])


def _marc_es(d: Path) -> pd.DataFrame:
    raw = pd.read_csv(d / "marc_es.csv")
    return _frame(_join(raw["review_title"], raw["review_body"]), "es", raw["stars"])


def _amazon_br(d: Path) -> pd.DataFrame:
    raw = pd.read_csv(d / "amazon_br_pt.csv")
    return _frame(raw["text"], "pt", raw["label"] + 1)


def _restmex(d: Path) -> pd.DataFrame:
    raw = pd.read_csv(d / "restmex2021_es.csv")
    return _frame(_join(raw["Title"].str.strip('"'), raw["Opinion"].str.strip('"')), "es", raw["Label"])


def _cuba_hotels(d: Path) -> pd.DataFrame:
    raw = pd.read_csv(d / "cuba_hotels_es.csv")
    return _frame(_join(raw["Title"], raw["Opinion"]), "es", raw["Class"])


def _cuba_restaurants(d: Path) -> pd.DataFrame:
    raw = pd.read_csv(d / "cuba_restaurants_es.csv")
    return _frame(_join(raw["Title"], raw["Opinion"]), "es", raw["Polarity"])


def _clothing(d: Path) -> pd.DataFrame:
    raw = pd.read_csv(d / "womens_clothing_en.csv")
    return _frame(_join(raw["Title"], raw["ReviewText"]), "en", raw["Rating"])


def _tripadvisor(d: Path) -> pd.DataFrame:
    raw = pd.read_parquet(d / "tripadvisor_bcn_en.parquet", columns=["title", "text", "rating"])
    return _frame(_join(raw["title"], raw["text"]), "en", raw["rating"])


def _booking(d: Path) -> pd.DataFrame:
    raw = pd.read_csv(d / "booking_hotels_en.csv")
    neg = raw["Negative_Review"].astype(str).str.strip()
    pos = raw["Positive_Review"].astype(str).str.strip()
    neg = neg[(neg.str.len() > 20) & (neg != "No Negative")]
    pos = pos[(pos.str.len() > 20) & (pos != "No Positive")]
    return pd.concat(
        [_frame(neg, "en", sentiment=pd.Series(0.0, index=neg.index)),
         _frame(pos, "en", sentiment=pd.Series(2.0, index=pos.index))],
        ignore_index=True,
    )  # fmt: skip


def _uci(d: Path) -> pd.DataFrame:
    parts = []
    for name in ("amazon_cells", "yelp", "imdb"):
        raw = pd.read_csv(d / "uci_sentences_en" / f"{name}_labelled.txt", sep="\t", header=None,
                          names=["text", "label"], quoting=3)  # fmt: skip
        parts.append(_frame(raw["text"], "en", sentiment=raw["label"] * 2.0))
    return pd.concat(parts, ignore_index=True)


def _drugs(d: Path) -> pd.DataFrame:
    raw = pd.concat([pd.read_csv(d / f"drugscom_en_{s}.tsv", sep="\t") for s in ("train", "test")])
    labels = raw["rating"].map(SENTIMENT_CODES)
    import html

    return _frame(raw["review"].astype(str).map(html.unescape).str.strip('"'), "en", sentiment=labels)


@dataclass(frozen=True)
class Source:
    """One dataset of the mixture: its reader, cap and files."""

    name: str
    read: Callable[[Path], pd.DataFrame]
    files: tuple[str, ...]
    cap: int


SOURCES = (
    Source("marc_en", _marc_en, ("marc_en.jsonl",), 9000),
    Source("marc_es", _marc_es, ("marc_es.csv",), 4000),
    Source("amazon_br_pt", _amazon_br, ("amazon_br_pt.csv",), 9292),
    Source("restmex_es", _restmex, ("restmex2021_es.csv",), 2500),
    Source("cuba_hotels_es", _cuba_hotels, ("cuba_hotels_es.csv",), 2500),
    Source("cuba_restaurants_es", _cuba_restaurants, ("cuba_restaurants_es.csv",), 2000),
    Source("clothing_en", _clothing, ("womens_clothing_en.csv",), 1499),
    Source("tripadvisor_en", _tripadvisor, ("tripadvisor_bcn_en.parquet",), 2500),
    Source("booking_en", _booking, ("booking_hotels_en.csv",), 3000),
    Source(
        "uci_en",
        _uci,
        (
            "uci_sentences_en/amazon_cells_labelled.txt",
            "uci_sentences_en/yelp_labelled.txt",
            "uci_sentences_en/imdb_labelled.txt",
        ),
        3000,
    ),  # fmt: skip
    Source("drugs_en", _drugs, ("drugscom_en_train.tsv", "drugscom_en_test.tsv"), 979),
)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split_of(text: str) -> str:
    """train / dev / test from the text's hash (stable across runs and dataset growth)."""
    bucket = int(text_hash(text)[:8], 16) % 10
    return "test" if bucket == 0 else ("dev" if bucket == 1 else "train")


def load_mixture(data_dir: Path) -> pd.DataFrame:
    """Every source's rows as ``dataset, language, text, stars, sentiment, split``."""
    sentiment_dir = data_dir / "sentiment"
    if not sentiment_dir.is_dir():
        raise ReviewPulseError(f"training data not found at {sentiment_dir} (set REVIEWPULSE_DATA_DIR)")
    missing = [name for source in SOURCES for name in source.files if not (sentiment_dir / name).is_file()]
    if missing:
        raise ReviewPulseError(f"training data incomplete in {sentiment_dir}: missing {', '.join(missing)} "
                               "(the shared data's sentiment folder, see its README)")  # fmt: skip
    frames = []
    for source in SOURCES:
        frame = source.read(sentiment_dir)
        frame = frame[frame["text"].map(lambda t: isinstance(t, str) and len(t.strip()) >= 3)]
        frame = frame.drop_duplicates("text")
        if len(frame) > source.cap:
            frame = frame.sample(source.cap, random_state=SEED)
        frames.append(frame.assign(dataset=source.name))
    mixture = pd.concat(frames, ignore_index=True)
    mixture["split"] = mixture["text"].map(split_of)
    return mixture[["dataset", "language", "text", "stars", "sentiment", "split"]]


def file_sha256(path: Path) -> str:
    """A data file's sha256, to pin it in a data manifest."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(data_dir: Path, theme_sentences: bool = False) -> dict[str, str]:
    """sha256 of every file the mixture reads, to pin the training data; with ``theme_sentences``, also
    the theme training set's labels and the datasets its sentences come from."""
    out = {}
    for source in SOURCES:
        for name in source.files:
            out[f"sentiment/{name}"] = file_sha256(data_dir / "sentiment" / name)
    if theme_sentences:
        from pipeline.settings import REPO_ROOT
        from pipeline.themes.devset import read_entries
        from pipeline.themes.trainset import DEFAULT_TRAINSET

        out[DEFAULT_TRAINSET.relative_to(REPO_ROOT).as_posix()] = file_sha256(DEFAULT_TRAINSET)
        for dataset in sorted({str(e["dataset"]) for e in read_entries(DEFAULT_TRAINSET, ("train",))}):
            out[dataset] = file_sha256(data_dir / dataset)
    return out


THEME_SENTENCES = "theme_sentences"


def review_splits(sentences: pd.DataFrame, mixture: pd.DataFrame) -> pd.Series:
    """The mixture split of the review each sentence (``sentence``, ``language``) was cut from: the most
    held-out one (test, then dev) where several reviews of its language contain it, else the sentence's
    own hash split (a review outside the mixture)."""
    rank = {"train": 0, "dev": 1, "test": 2}
    out = pd.Series(index=sentences.index, dtype=object)
    for language, group in sentences.groupby("language", sort=False):
        texts = mixture.loc[mixture["language"] == language, "text"].astype(str).tolist()
        review_split = mixture.loc[mixture["language"] == language, "split"].to_numpy()
        # every review of the language in one string, to find the reviews holding each sentence at once
        joined = "\x00".join(texts)
        starts = np.cumsum([0, *(len(t) + 1 for t in texts)])[:-1]
        for index, sentence in zip(group.index, group["sentence"].astype(str), strict=True):
            found, at = [], joined.find(sentence)
            while at >= 0:
                found.append(str(review_split[np.searchsorted(starts, at, side="right") - 1]))
                at = joined.find(sentence, at + 1)
            out[index] = max(found, key=rank.__getitem__) if found else split_of(sentence)
    return out


def with_theme_sentences(mixture: pd.DataFrame, data_dir: Path) -> pd.DataFrame:
    """``mixture`` plus the theme training set's sentences with their hand-given sentence sentiment
    (``models/themes/trainset``), as dataset ``theme_sentences``: the sentence sentiment head learns what a
    sentence says, not what its review's stars say ("Lo volvería a comprar." in a 2-star review).

    A sentence takes the split of the mixture review it was cut from (the most held-out one where several
    reviews contain it), so no sentence of a dev or test review trains the head; a sentence of a review
    outside the mixture (Olist, Amazon 2023) is split by its own hash. Sentences carry no stars.
    """
    from pipeline.themes.devset import load_devset
    from pipeline.themes.trainset import DEFAULT_TRAINSET

    sentences = load_devset(data_dir, DEFAULT_TRAINSET, splits=("train",))
    sentences = sentences[sentences["sentiment"].notna()].drop_duplicates("sentence")
    sentences = sentences.assign(split=review_splits(sentences, mixture))
    rows = pd.DataFrame({
        "dataset": THEME_SENTENCES, "language": sentences["language"], "text": sentences["sentence"],
        "stars": np.nan, "sentiment": sentences["sentiment"].map(SENTIMENT_CODES),
        "split": sentences["split"],
    })  # fmt: skip
    return pd.concat([mixture, rows], ignore_index=True)
