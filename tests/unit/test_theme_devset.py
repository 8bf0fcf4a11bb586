"""The theme dev set loader on a tiny fake shared-data folder: slicing, hashes, missing data, theme ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipeline.errors import ReviewPulseError
from pipeline.themes.devset import (
    COLUMNS,
    DevsetUnavailable,
    annotator_agreement,
    load_devset,
    sentence_sha1,
)

TAXONOMY = """\
version: 1
themes:
  - id: delivery
    stage: post_purchase
  - id: packaging
    stage: post_purchase
"""

KEYED = "It arrived two weeks late. The box was fine."
NUMBERED = ["Great product.", "Llegó con la caja rota, todo suelto."]
LINES = "Chegou no prazo.\nA caixa veio amassada."


def _entry(name: str, dataset: str, record: str, field: str, text: str, sentence: str, **extra: Any):
    start = text.index(sentence)
    entry = {
        "id": name,
        "language": "en",
        "dataset": dataset,
        "record": record,
        "field": field,
        "start": start,
        "end": start + len(sentence),
        "sha1": sentence_sha1(sentence),
        "themes": [],
        "split": "tune",
    }
    entry.update(extra)
    return entry


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Four tiny datasets: csv keyed by review_id, csv and parquet by row number, jsonl keyed by review_id."""
    root = tmp_path / "data"
    (root / "sentiment").mkdir(parents=True)
    pd.DataFrame({"review_id": ["r1", "r2"], "review_body": ["Fine.", KEYED]}).to_csv(
        root / "sentiment" / "keyed.csv", index=False
    )
    pd.DataFrame({"text": NUMBERED, "label": ["4", "0"]}).to_csv(root / "sentiment" / "rows.csv", index=False)
    pd.DataFrame({"text": NUMBERED}).to_parquet(root / "sentiment" / "rows.parquet")
    with (root / "sentiment" / "lines.jsonl").open("w", encoding="utf-8") as handle:
        handle.write(json.dumps({"review_id": "pt_1", "review_body": LINES}, ensure_ascii=False) + "\n")
    return root


@pytest.fixture
def taxonomy(tmp_path: Path) -> Path:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(TAXONOMY, encoding="utf-8")
    return path


def _write(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    path = tmp_path / "labels.jsonl"
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries), encoding="utf-8")
    return path


def _good_entries() -> list[dict[str, Any]]:
    return [
        _entry(
            "en-0001",
            "sentiment/keyed.csv",
            "r2",
            "review_body",
            KEYED,
            "It arrived two weeks late.",
            themes=["delivery"],
        ),
        _entry(
            "es-0001",
            "sentiment/rows.csv",
            "1",
            "text",
            NUMBERED[1],
            NUMBERED[1],
            language="es",
            themes=["packaging"],
            split="test",
        ),
        _entry("es-0002", "sentiment/rows.parquet", "0", "text", NUMBERED[0], NUMBERED[0], language="es"),
        _entry(
            "pt-0001",
            "sentiment/lines.jsonl",
            "pt_1",
            "review_body",
            LINES,
            "A caixa veio amassada.",
            language="pt",
            themes=["packaging", "delivery"],
        ),
    ]


def test_resolves_sentences_by_review_id_or_row_number(
    data_dir: Path, taxonomy: Path, tmp_path: Path
) -> None:
    frame = load_devset(data_dir, _write(tmp_path, _good_entries()), taxonomy)

    assert list(frame.columns) == COLUMNS
    by_id = frame.set_index("id")
    assert by_id.loc["en-0001", "sentence"] == "It arrived two weeks late."
    assert by_id.loc["es-0001", "sentence"] == "Llegó con la caja rota, todo suelto."
    assert by_id.loc["es-0002", "sentence"] == "Great product."
    assert by_id.loc["pt-0001", "sentence"] == "A caixa veio amassada."
    assert by_id.loc["pt-0001", "themes"] == ("packaging", "delivery")
    assert by_id.loc["es-0002", "themes"] == ()
    assert by_id.loc["es-0001", "split"] == "test"
    assert by_id.loc["en-0001", "dataset"] == "sentiment/keyed.csv"


def test_hash_mismatch_names_the_entry(data_dir: Path, taxonomy: Path, tmp_path: Path) -> None:
    entries = _good_entries()
    entries[0]["end"] -= 1  # the slice loses its full stop, so its hash no longer matches

    with pytest.raises(ReviewPulseError, match="en-0001.*sha1"):
        load_devset(data_dir, _write(tmp_path, entries), taxonomy)


def test_missing_record_names_the_entry(data_dir: Path, taxonomy: Path, tmp_path: Path) -> None:
    entries = _good_entries()
    entries[1]["record"] = "7"

    with pytest.raises(ReviewPulseError, match="es-0001: record 7 not found"):
        load_devset(data_dir, _write(tmp_path, entries), taxonomy)


def test_ambiguous_review_id_is_refused(data_dir: Path, taxonomy: Path, tmp_path: Path) -> None:
    pd.DataFrame({"review_id": ["r2", "r2"], "review_body": [KEYED, KEYED]}).to_csv(
        data_dir / "sentiment" / "keyed.csv", index=False
    )

    with pytest.raises(ReviewPulseError, match="en-0001: record r2 is ambiguous"):
        load_devset(data_dir, _write(tmp_path, _good_entries()), taxonomy)


def test_missing_dataset_file_is_unavailable_and_names_it(
    data_dir: Path, taxonomy: Path, tmp_path: Path
) -> None:
    (data_dir / "sentiment" / "lines.jsonl").unlink()

    with pytest.raises(DevsetUnavailable, match="sentiment/lines.jsonl not found"):
        load_devset(data_dir, _write(tmp_path, _good_entries()), taxonomy)


def test_missing_data_folder_is_unavailable(taxonomy: Path, tmp_path: Path) -> None:
    with pytest.raises(DevsetUnavailable, match="shared data folder"):
        load_devset(tmp_path / "nowhere", _write(tmp_path, _good_entries()), taxonomy)


def test_unknown_theme_id_is_an_error(data_dir: Path, taxonomy: Path, tmp_path: Path) -> None:
    entries = _good_entries()
    entries[2]["themes"] = ["shipping_speed"]

    with pytest.raises(
        ReviewPulseError, match="es-0002: theme shipping_speed is not in taxonomy.yaml"
    ) as info:
        load_devset(data_dir, _write(tmp_path, entries), taxonomy)
    assert not isinstance(info.value, DevsetUnavailable)


def test_duplicate_ids_and_bad_splits_are_refused(data_dir: Path, taxonomy: Path, tmp_path: Path) -> None:
    entries = _good_entries()
    entries[3]["id"] = "en-0001"
    with pytest.raises(ReviewPulseError, match="en-0001: duplicate id"):
        load_devset(data_dir, _write(tmp_path, entries), taxonomy)

    entries = _good_entries()
    entries[0]["split"] = "train"
    with pytest.raises(ReviewPulseError, match="en-0001: split 'train'"):
        load_devset(data_dir, _write(tmp_path, entries), taxonomy)


def test_sentence_sentiment_is_read_and_checked(data_dir: Path, taxonomy: Path, tmp_path: Path) -> None:
    entries = _good_entries()
    entries[0]["sentiment"] = "positive"
    frame = load_devset(data_dir, _write(tmp_path, entries), taxonomy)
    assert frame["sentiment"].iat[0] == "positive" and frame["sentiment"].isna().iat[1]  # optional

    entries[1]["sentiment"] = "angry"
    with pytest.raises(ReviewPulseError, match="sentiment 'angry' is not one of negative, neutral, positive"):
        load_devset(data_dir, _write(tmp_path, entries), taxonomy)


def test_annotator_agreement_counts_shared_labels_per_language(taxonomy: Path) -> None:
    def entry(name: str, first: list[str], second: list[str], split: str = "tune") -> dict[str, Any]:
        language = name[:2]
        return {"id": name, "language": language, "split": split, "themes": first,
                "annotator_1": first, "annotator_2": second}  # fmt: skip

    entries = [
        entry("en-1", ["delivery"], ["delivery"]),
        entry("en-2", ["delivery", "packaging"], ["packaging"], split="test"),
        entry("en-3", [], ["packaging"]),
        entry("es-1", ["packaging"], ["packaging"]),
    ]
    got = annotator_agreement(entries, taxonomy)
    # en: delivery 1 shared of 2+1 used, packaging 1 shared of 1+2 -> micro 2*2/6, macro (2/3 + 2/3) / 2
    assert got["en/all"]["micro_f1"] == pytest.approx(2 / 3)
    assert got["en/all"]["macro_f1"] == pytest.approx(2 / 3)
    assert got["en/all"]["exact"] == pytest.approx(1 / 3) and got["en/all"]["sentences"] == 3
    assert got["en/test"]["micro_f1"] == pytest.approx(2 / 3) and got["en/test"]["exact"] == 0.0
    assert got["es/all"] == {"sentences": 1, "micro_f1": 1.0, "macro_f1": 1.0, "exact": 1.0}
    assert got["all/all"]["micro_f1"] == pytest.approx(2 * 3 / 8)
    with pytest.raises(ReviewPulseError, match="lack a second annotation"):
        annotator_agreement([{k: v for k, v in entries[0].items() if k != "annotator_2"}], taxonomy)
