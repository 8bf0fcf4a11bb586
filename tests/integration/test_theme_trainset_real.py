"""The shipped theme training set resolves against ../shared/data, stays apart from the dev set, and its
README table is true."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from pipeline.settings import REPO_ROOT
from pipeline.themes.devset import DEFAULT_DEVSET, DevsetUnavailable, load_devset, read_entries, taxonomy_ids
from pipeline.themes.trainset import DEFAULT_TRAINSET
from tests.markdown_table import count_table

pytestmark = pytest.mark.integration

DATA_DIR = Path(os.environ.get("REVIEWPULSE_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
README = DEFAULT_TRAINSET.parent / "README.md"
LANGUAGES = ("en", "es", "pt")


@pytest.fixture(scope="module")
def trainset() -> pd.DataFrame:
    try:
        return load_devset(DATA_DIR, DEFAULT_TRAINSET, splits=("train",))
    except DevsetUnavailable as missing:
        pytest.skip(str(missing))


def test_every_entry_resolves_and_each_language_has_hundreds(trainset: pd.DataFrame) -> None:
    assert len(trainset) == len(read_entries(DEFAULT_TRAINSET, ("train",)))
    assert trainset["id"].is_unique
    assert (trainset["sentence"].str.strip() == trainset["sentence"]).all()
    counts = trainset["language"].value_counts()
    assert all(counts[language] >= 600 for language in LANGUAGES)


def test_no_review_and_no_sentence_of_the_dev_set_is_in_the_training_set() -> None:
    train = read_entries(DEFAULT_TRAINSET, ("train",))
    dev = read_entries(DEFAULT_DEVSET)
    assert not {(e["dataset"], e["record"]) for e in train} & {(e["dataset"], e["record"]) for e in dev}
    assert not {e["sha1"] for e in train} & {e["sha1"] for e in dev}
    assert len({e["sha1"] for e in train}) == len(train)


def test_readme_table_matches_the_labels() -> None:
    entries = read_entries(DEFAULT_TRAINSET, ("train",))
    positives = Counter((theme, e["language"]) for e in entries for theme in e["themes"])
    expected = {theme: [positives[(theme, language)] for language in LANGUAGES] for theme in taxonomy_ids()}
    expected["(no theme)"] = [sum(1 for e in entries if e["language"] == lang and not e["themes"])
                              for lang in LANGUAGES]  # fmt: skip
    expected["(all sentences)"] = [sum(1 for e in entries if e["language"] == lang) for lang in LANGUAGES]
    text = README.read_text(encoding="utf-8")
    assert count_table(text, "| theme | en | es | pt |") == expected
    assert re.search(rf"\b{len(entries):,} real review sentences\b", text)


def test_every_sentence_has_its_own_sentiment_and_the_readme_counts_are_true() -> None:
    entries = read_entries(DEFAULT_TRAINSET, ("train",))
    assert all(e.get("sentiment") in ("negative", "neutral", "positive") for e in entries)
    counts = Counter((e["language"], e["sentiment"]) for e in entries)
    expected = {lang: [counts[(lang, s)] for s in ("negative", "neutral", "positive")] for lang in LANGUAGES}
    assert (
        count_table(README.read_text(encoding="utf-8"), "| language | negative | neutral | positive |")
        == expected
    )


def test_the_sentence_adapter_learns_a_sentence_sentiment_only_where_a_sentence_is_one_unit(
    trainset: pd.DataFrame,
) -> None:
    from pipeline.settings import Settings
    from pipeline.themes.adapter import training_rows
    from pipeline.themes.sentences import split_sentences

    texts, labels, split, _, sentiment = training_rows(Settings.from_env())
    assert len(texts) == len(labels) == len(split) == len(sentiment)
    given: dict[str, set[int]] = {}
    for text, part, code in zip(texts, split, sentiment, strict=True):
        if part == "train":
            given.setdefault(text, set()).add(int(code))
    codes = {"negative": 0, "neutral": 1, "positive": 2}
    one, many = 0, 0
    for sentence, language, feeling in zip(trainset["sentence"], trainset["language"], trainset["sentiment"],
                                           strict=True):  # fmt: skip
        units = [u.text for u in split_sentences(sentence, language)] or [sentence]
        if len(units) == 1:
            one += 1
            assert codes[feeling] in given[units[0]]
        else:  # the units of a sentence cut in several carry none: their parts may lean apart
            many += 1
            assert all(-1 in given[u] for u in units)
    assert one > 3000 and many > 100
