"""The shipped theme dev set resolves against ../shared/data, covers every theme; its README table is true."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from pipeline.settings import REPO_ROOT
from pipeline.themes.devset import (
    DEFAULT_DEVSET,
    DevsetUnavailable,
    annotator_agreement,
    load_devset,
    read_entries,
    taxonomy_ids,
)
from tests.markdown_table import count_table

pytestmark = pytest.mark.integration

DATA_DIR = Path(os.environ.get("REVIEWPULSE_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
README = DEFAULT_DEVSET.parent / "README.md"
LANGUAGES = ("en", "es", "pt")
SPLITS = ("tune", "test")
# What the data allowed (see the README, "Where it falls short"): (language, theme) -> least per split.
SHORT = {("es", "website_usability"): 0, ("en", "checkout_payment"): 2, ("es", "shipping_cost"): 2}


@pytest.fixture(scope="module")
def devset() -> pd.DataFrame:
    try:
        return load_devset(DATA_DIR)
    except DevsetUnavailable as missing:
        pytest.skip(str(missing))


def _positives(entries: list[dict]) -> Counter[tuple[str, str, str]]:
    return Counter(
        (theme, entry["language"], entry["split"]) for entry in entries for theme in entry["themes"]
    )


def test_every_entry_resolves_to_its_sentence(devset: pd.DataFrame) -> None:
    assert len(devset) == len(read_entries(DEFAULT_DEVSET))
    assert devset["id"].is_unique
    assert (devset["sentence"].str.strip() == devset["sentence"]).all()
    assert (devset["sentence"].str.len() > 0).all()
    counts = devset["language"].value_counts()
    assert all(counts[language] >= 150 for language in LANGUAGES)


def test_every_theme_has_positives_in_both_splits_of_every_language(devset: pd.DataFrame) -> None:
    positives = Counter(
        (theme, row.language, row.split) for row in devset.itertuples() for theme in row.themes
    )
    short = []
    for theme in taxonomy_ids():
        for language in LANGUAGES:
            floor = SHORT.get((language, theme), 3)
            for split in SPLITS:
                if positives[(theme, language, split)] < floor:
                    short.append(f"{theme} {language} {split}: {positives[(theme, language, split)]}")
    assert not short, short
    assert positives[("website_usability", "es", "tune")] >= 1


def test_about_a_third_of_each_language_has_no_theme(devset: pd.DataFrame) -> None:
    no_theme = devset["themes"].map(len).eq(0).groupby(devset["language"]).mean()
    assert all(0.30 <= no_theme[language] <= 0.40 for language in LANGUAGES)


def test_splits_are_about_half_each(devset: pd.DataFrame) -> None:
    share = devset["split"].eq("tune").groupby(devset["language"]).mean()
    assert all(0.45 <= share[language] <= 0.55 for language in LANGUAGES)


def test_readme_table_matches_the_labels() -> None:
    entries = read_entries(DEFAULT_DEVSET)
    positives = _positives(entries)
    none = Counter((e["language"], e["split"]) for e in entries if not e["themes"])
    total = Counter((e["language"], e["split"]) for e in entries)
    columns = [(language, split) for language in LANGUAGES for split in SPLITS]
    expected = {theme: [positives[(theme, *column)] for column in columns] for theme in taxonomy_ids()}
    expected["(no theme)"] = [none[column] for column in columns]
    expected["(all sentences)"] = [total[column] for column in columns]

    text = README.read_text(encoding="utf-8")
    header = "| theme | " + " | ".join(f"{language} {split}" for language, split in columns) + " |"
    assert count_table(text, header) == expected
    assert re.search(rf"\b{len(entries)} real review sentences\b", text)


def test_labels_are_the_shared_annotation_or_an_adjudication_of_it() -> None:
    entries = read_entries(DEFAULT_DEVSET)
    for entry in entries:
        first, second, final = (set(entry[k]) for k in ("annotator_1", "annotator_2", "themes"))
        if first == second:
            assert final == first, entry["id"]
        else:  # the adjudicator chose from what the two annotators said
            assert final <= first | second, entry["id"]


def test_readme_agreement_table_is_recomputed_from_the_labels() -> None:
    agreement = annotator_agreement(read_entries(DEFAULT_DEVSET))
    text = README.read_text(encoding="utf-8")
    header = "| language | split | sentences | micro-F1 | macro-F1 | exact |"
    assert header in text
    rows = text[text.index(header) :].split("\n\n")[0].splitlines()[2:]
    found = {}
    for line in rows:
        language, split, sentences, *scores = (cell.strip() for cell in line.strip().strip("|").split("|"))
        found[f"{language}/{split}"] = [int(sentences), *(float(score) for score in scores)]
    expected = {
        key: [m["sentences"], round(m["micro_f1"], 3), round(m["macro_f1"], 3), round(m["exact"], 3)]
        for key, m in agreement.items()
    }
    assert found == expected
