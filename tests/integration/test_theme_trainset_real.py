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
