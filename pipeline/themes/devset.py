"""The hand-labelled complaint-theme dev set: references into ``../shared/data``, resolved to sentences.

The dataset licences forbid copying review text into the repository, so ``labels.jsonl`` stores where each
sentence lies (dataset file, record key, field, character offsets) and a hash of it; the text is read from
the shared data at evaluation time. ``record`` is the row's ``review_id`` where the dataset has that column,
else the 0-based data row number (header excluded) as a string. See ``models/themes/devset/README.md``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pipeline.errors import ReviewPulseError
from pipeline.scoring.heads import SENTIMENT_LABELS
from pipeline.settings import REPO_ROOT

DEFAULT_DEVSET = REPO_ROOT / "models" / "themes" / "devset" / "labels.jsonl"
DEFAULT_TAXONOMY = REPO_ROOT / "models" / "themes" / "taxonomy.yaml"
KEY_COLUMN = "review_id"
SPLITS = ("tune", "test")
COLUMNS = ["id", "language", "sentence", "themes", "split", "dataset", "sentiment"]
SENTIMENTS = SENTIMENT_LABELS  # a sentence's hand-given sentiment uses the sentiment head's labels
_REQUIRED = ("id", "language", "dataset", "record", "field", "start", "end", "sha1", "themes", "split")


class DevsetUnavailable(ReviewPulseError):
    """The shared data folder or a dataset the dev set points into is absent; callers skip."""


def sentence_sha1(sentence: str) -> str:
    """The first 12 hex digits of the SHA-1 of the sentence's UTF-8 bytes."""
    return hashlib.sha1(sentence.encode("utf-8")).hexdigest()[:12]


def taxonomy_ids(taxonomy: Path = DEFAULT_TAXONOMY) -> list[str]:
    """The theme ids of the taxonomy file, in file order."""
    if not taxonomy.exists():
        raise ReviewPulseError(f"taxonomy not found at {taxonomy}")
    raw = yaml.safe_load(taxonomy.read_text(encoding="utf-8"))
    return [str(theme["id"]) for theme in raw["themes"]]


def read_table(path: Path) -> pd.DataFrame:
    """Read one shared dataset as strings: csv, jsonl or parquet by suffix."""
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as handle:
            return pd.DataFrame.from_records([json.loads(line) for line in handle if line.strip()])
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    raise ReviewPulseError(f"dev set: cannot read {path.name}: unknown format (csv, jsonl or parquet)")


def read_entries(path: Path = DEFAULT_DEVSET, splits: tuple[str, ...] = SPLITS) -> list[dict[str, Any]]:
    """The label entries of ``labels.jsonl``, checked for shape (not yet resolved against the data)."""
    if not path.exists():
        raise ReviewPulseError(f"dev set labels not found at {path}")
    entries: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            raise ReviewPulseError(f"dev set {path.name} line {number}: not JSON ({error.msg})") from error
        missing = [key for key in _REQUIRED if key not in entry]
        name = entry.get("id", f"line {number}")
        if missing:
            raise ReviewPulseError(f"dev set entry {name}: missing {', '.join(missing)}")
        if entry["id"] in seen:
            raise ReviewPulseError(f"dev set entry {name}: duplicate id")
        if entry["split"] not in splits:
            raise ReviewPulseError(
                f"dev set entry {name}: split {entry['split']!r} is not {' or '.join(splits)}"
            )
        if entry.get("sentiment", "negative") not in SENTIMENTS:
            raise ReviewPulseError(
                f"dev set entry {name}: sentiment {entry['sentiment']!r} is not one of "
                f"{', '.join(SENTIMENTS)}"
            )
        if not 0 <= entry["start"] < entry["end"]:
            raise ReviewPulseError(f"dev set entry {name}: bad offsets {entry['start']}:{entry['end']}")
        seen.add(entry["id"])
        entries.append(entry)
    return entries


def _check_themes(entries: list[dict[str, Any]], taxonomy: Path) -> None:
    known = set(taxonomy_ids(taxonomy))
    for entry in entries:
        unknown = sorted(set(entry["themes"]) - known)
        if unknown:
            raise ReviewPulseError(
                f"dev set entry {entry['id']}: theme {', '.join(unknown)} is not in {taxonomy.name}"
            )


def _row_index(table: pd.DataFrame) -> dict[str, int]:
    """Record key -> row position: ``review_id`` where the dataset has one (keys seen twice map to -1)."""
    if KEY_COLUMN not in table.columns:
        return {str(position): position for position in range(len(table))}
    index: dict[str, int] = {}
    for position, key in enumerate(table[KEY_COLUMN].astype(str)):
        index[key] = -1 if key in index else position
    return index


def _resolve(entry: dict[str, Any], table: pd.DataFrame, index: dict[str, int]) -> str:
    name, record, field = entry["id"], str(entry["record"]), entry["field"]
    position = index.get(record)
    if position is None:
        raise ReviewPulseError(f"dev set entry {name}: record {record} not found in {entry['dataset']}")
    if position < 0:
        raise ReviewPulseError(f"dev set entry {name}: record {record} is ambiguous in {entry['dataset']}")
    if field not in table.columns:
        raise ReviewPulseError(f"dev set entry {name}: {entry['dataset']} has no field {field!r}")
    text = table[field].iat[position]
    if not isinstance(text, str):
        raise ReviewPulseError(f"dev set entry {name}: record {record} has no text in {field!r}")
    sentence = text[entry["start"] : entry["end"]]
    if sentence_sha1(sentence) != entry["sha1"]:
        raise ReviewPulseError(
            f"dev set entry {name}: sha1 of {entry['dataset']} record {record} "
            f"[{entry['start']}:{entry['end']}] does not match (the dataset changed?)"
        )
    return sentence


def load_devset(
    data_dir: Path,
    path: Path = DEFAULT_DEVSET,
    taxonomy: Path = DEFAULT_TAXONOMY,
    splits: tuple[str, ...] = SPLITS,
) -> pd.DataFrame:
    """Resolve the dev set against the shared data, reading each referenced dataset once.

    Args:
        data_dir: the shared data folder (``../shared/data`` or ``REVIEWPULSE_DATA_DIR``).
        path: the ``labels.jsonl`` file.
        taxonomy: the taxonomy whose theme ids the labels must use.

    Returns:
        One row per entry: ``id, language, sentence, themes`` (tuple of str), ``split, dataset`` and
        ``sentiment`` (the sentence's own, hand-given; None where an entry has none).

    Raises:
        DevsetUnavailable: ``data_dir`` or a referenced dataset file is absent.
        ReviewPulseError: an entry is malformed, its record is missing, its hash does not match, or it
            uses a theme id the taxonomy does not have.
    """
    entries = read_entries(path, splits)
    _check_themes(entries, taxonomy)
    if not data_dir.is_dir():
        raise DevsetUnavailable(f"theme dev set: shared data folder {data_dir} not found")
    sentences: dict[str, str] = {}
    for dataset in sorted({entry["dataset"] for entry in entries}):
        file = data_dir / dataset
        if not file.is_file():
            raise DevsetUnavailable(f"theme dev set: dataset {dataset} not found under {data_dir}")
        table = read_table(file)
        index = _row_index(table)
        for entry in entries:
            if entry["dataset"] == dataset:
                sentences[entry["id"]] = _resolve(entry, table, index)
    rows = [
        {
            "id": entry["id"],
            "language": entry["language"],
            "sentence": sentences[entry["id"]],
            "themes": tuple(str(theme) for theme in entry["themes"]),
            "split": entry["split"],
            "dataset": entry["dataset"],
            "sentiment": entry.get("sentiment"),
        }
        for entry in entries
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


ANNOTATORS = ("annotator_1", "annotator_2")


def annotator_agreement(entries: list[dict[str, Any]], taxonomy: Path = DEFAULT_TAXONOMY) -> dict[str, Any]:
    """How far two independent annotators agree, per language and split: the human ceiling of the F1s.

    Each entry carries both annotators' labels (``annotator_1``, ``annotator_2``) beside the adjudicated
    ``themes``. Micro-F1 of one annotator against the other is symmetric (2|A∩B| / (|A|+|B|) over all
    sentence-theme pairs); macro-F1 averages that per theme over the themes either annotator used;
    ``exact`` is the share of sentences given the same label set. Keys are ``"<language>/<split>"``, with
    ``all`` for either.
    """
    import numpy as np

    ids = taxonomy_ids(taxonomy)
    missing = [e["id"] for e in entries if not all(key in e for key in ANNOTATORS)]
    if missing:
        raise ReviewPulseError(f"dev set: {len(missing)} entries lack a second annotation, e.g. {missing[0]}")

    def matrix(rows: list[dict[str, Any]], key: str) -> Any:
        out = np.zeros((len(rows), len(ids)), dtype=bool)
        for i, entry in enumerate(rows):
            for theme in entry[key]:
                out[i, ids.index(theme)] = True
        return out

    result: dict[str, Any] = {}
    for language in ("all", *sorted({e["language"] for e in entries})):
        for split in ("all", *SPLITS):
            rows = [e for e in entries if language in ("all", e["language"]) and split in ("all", e["split"])]
            first, second = matrix(rows, ANNOTATORS[0]), matrix(rows, ANNOTATORS[1])
            both, either = (first & second).sum(axis=0), first.sum(axis=0) + second.sum(axis=0)
            used = either > 0
            result[f"{language}/{split}"] = {
                "sentences": len(rows),
                "micro_f1": float(2 * both.sum() / max(either.sum(), 1)),
                "macro_f1": float((2 * both[used] / either[used]).mean()) if used.any() else float("nan"),
                "exact": float((first == second).all(axis=1).mean()) if rows else float("nan"),
            }
    return result
