"""The hand-labelled complaint-theme training set: more labelled sentences than the dev set's tune split.

The dev set (``models/themes/devset``) has about 95 labelled sentences per language and split: enough to
measure, too few to learn from. The training set (``models/themes/trainset/labels.jsonl``) holds more
sentences from the same kinds of sources, labelled by reading with the same taxonomy and edge rules, in the
same reference format (no review text: dataset, record, field, offsets, hash; split ``train``). No record
of the dev set is used, so the dev set's test split stays unseen.

This module builds the candidate sentences to label (``python -m pipeline.themes.trainset candidates``):
reproducible, seeded, from the shared data, half of them random sentences from negative and middling
reviews (labelled as they come) and half found by each theme's cue words (positives and hard negatives).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import ReviewPulseError
from pipeline.settings import REPO_ROOT, Settings
from pipeline.themes.devset import KEY_COLUMN, read_entries, read_table, sentence_sha1
from pipeline.themes.taxonomy import Taxonomy, fold

DEFAULT_TRAINSET = REPO_ROOT / "models" / "themes" / "trainset" / "labels.jsonl"
SEED = 29
MIN_CHARS, MAX_CHARS = 12, 260


@dataclass(frozen=True)
class Source:
    """A shared dataset that supplies sentences of one language: its text field and its rating column."""

    dataset: str
    language: str
    field: str
    rating: str
    negative: tuple[str, ...]  # rating values of negative reviews
    middling: tuple[str, ...] = ()


SOURCES = (
    Source("sentiment/marc_en.jsonl", "en", "review_body", "stars", ("1", "2"), ("3",)),
    Source("marketplace/amazon2023_sports_sample.csv", "en", "text", "rating", ("1.0", "2.0"), ("3.0",)),
    Source("marketplace/amazon_finefood_sample.csv", "en", "Text", "Score", ("1", "2"), ("3",)),
    Source("sentiment/womens_clothing_en.csv", "en", "ReviewText", "Rating", ("1", "2"), ("3",)),
    Source("sentiment/marc_es.csv", "es", "review_body", "stars", ("1", "2"), ("3",)),
    Source("sentiment/amazon_br_pt.csv", "pt", "text", "label", ("0",)),
    Source("marketplace/olist/olist_order_reviews_dataset.csv", "pt", "review_comment_message",
           "review_score", ("1", "2"), ("3",)),
)  # fmt: skip

_BREAK = re.compile(r"(?<=[.!?])\s+|\n+|<br\s*/?>", re.IGNORECASE)


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """Offsets of the candidate sentences of a text: cut after . ! ? and whitespace, at line breaks and
    ``<br>``; stripped; 12-260 characters (the dev set's rule)."""
    start = 0
    for cut in [*_BREAK.finditer(text), None]:
        end = cut.start() if cut else len(text)
        piece = text[start:end]
        left = len(piece) - len(piece.lstrip())
        right = len(piece.rstrip())
        if MIN_CHARS <= right - left <= MAX_CHARS:
            yield start + left, start + right
        if cut:
            start = cut.end()


def _records(source: Source, table: pd.DataFrame) -> Iterator[tuple[str, str, str]]:
    """(record key, rating, text) per row, keyed as the dev set keys it (review_id, else row number)."""
    keys = table[KEY_COLUMN].astype(str) if KEY_COLUMN in table.columns else None
    seen: dict[str, int] = {}
    if keys is not None:
        for key in keys:
            seen[key] = seen.get(key, 0) + 1
    for position, (rating, text) in enumerate(zip(table[source.rating], table[source.field], strict=True)):
        if not isinstance(text, str) or not text.strip():
            continue
        key = str(keys.iat[position]) if keys is not None else str(position)
        if keys is not None and seen[key] > 1:
            continue  # ambiguous keys cannot be referenced
        yield key, str(rating), text


def candidates(
    settings: Settings,
    taxonomy: Taxonomy,
    language: str,
    *,
    total: int,
    exclude: set[tuple[str, str]],
    focus: Sequence[str] = (),
    seen: set[str] | None = None,
    prefix: str = "t",
) -> list[dict[str, object]]:
    """``total`` candidate sentences of ``language``: 40 % random from negative reviews, 10 % random from
    middling ones, 50 % spread evenly over the themes by cue word (two in three from negative reviews).

    With ``focus`` (a second round for themes the first left thin): ``total`` sentences spread over those
    themes by cue word only, none of the hashes in ``seen``; ids ``<language>-<prefix><number>``."""
    rng = random.Random(f"{SEED}-{language}")
    pools: dict[str, list[dict[str, object]]] = {"negative": [], "middling": [], "other": []}
    seen_sha: set[str] = set(seen or ())
    for source in SOURCES:
        if source.language != language:
            continue
        table = read_table(settings.shared_data_dir / source.dataset)
        for key, rating, text in _records(source, table):
            if (source.dataset, key) in exclude:
                continue
            kind = "negative" if rating in source.negative else "other"
            kind = "middling" if rating in source.middling else kind
            for start, end in sentence_spans(text):
                sentence = text[start:end]
                sha = sentence_sha1(sentence)
                if sha in seen_sha:
                    continue
                seen_sha.add(sha)
                pools[kind].append({"language": language, "dataset": source.dataset, "record": key,
                                    "field": source.field, "start": start, "end": end, "sha1": sha,
                                    "sentence": sentence})  # fmt: skip
    chosen: dict[str, dict[str, object]] = {}

    def take(pool: list[dict[str, object]], n: int) -> None:
        free = [c for c in pool if c["sha1"] not in chosen]
        for c in rng.sample(free, min(n, len(free))):
            chosen[str(c["sha1"])] = c

    if not focus:
        take(pools["negative"], int(total * 0.4))
        take(pools["middling"] or pools["other"], int(total * 0.1))
    themes = [t for t in taxonomy.themes if not focus or t.id in focus]
    per_theme = max(1, (total - len(chosen)) // len(themes))
    for theme in themes:
        hits = {kind: [c for c in pool if theme.cue_match(fold(str(c["sentence"])), language)]
                for kind, pool in pools.items()}  # fmt: skip
        take(hits["negative"], per_theme * 2 // 3)
        take(hits["middling"] + hits["other"], per_theme - per_theme * 2 // 3)
    rows = sorted(chosen.values(), key=lambda c: str(c["sha1"]))
    for number, row in enumerate(rows, start=1):
        row["id"] = f"{language}-{prefix}{number:04d}"
    return rows


def assemble(candidate_rows: list[dict[str, object]], labels: dict[str, list[str]], theme_ids: list[str],
             sentiments: dict[str, str] | None = None) -> list[dict[str, object]]:  # fmt: skip
    """Label entries (dev set format, split ``train``, no text) for every candidate that has labels, with
    the sentence's own sentiment where ``sentiments`` gives one.

    Raises:
        ReviewPulseError: a label names an unknown candidate, theme or sentiment, or a sentiment is given
            for a candidate without theme labels (it would be lost: only labelled candidates are kept).
    """
    from pipeline.themes.devset import SENTIMENTS

    sentiments = sentiments or {}
    odd = sorted(cid for cid, s in sentiments.items() if s not in SENTIMENTS)
    if odd:
        raise ReviewPulseError(f"candidate {odd[0]}: sentiment {sentiments[odd[0]]!r} is not one of "
                               f"{', '.join(SENTIMENTS)}")  # fmt: skip
    unlabelled = sorted(set(sentiments) - set(labels))
    if unlabelled:
        raise ReviewPulseError(f"sentiment without theme labels (give themes, [] for none): "
                               f"{', '.join(unlabelled[:5])}")  # fmt: skip
    by_id = {str(c["id"]): c for c in candidate_rows}
    unknown_ids = sorted(set(labels) - set(by_id))
    if unknown_ids:
        raise ReviewPulseError(f"labels for unknown candidates: {', '.join(unknown_ids[:5])}")
    entries = []
    for cid, candidate in by_id.items():
        if cid not in labels:
            continue
        unknown = sorted(set(labels[cid]) - set(theme_ids))
        if unknown:
            raise ReviewPulseError(f"candidate {cid}: unknown theme {', '.join(unknown)}")
        entry = {key: candidate[key] for key in ("id", "language", "dataset", "record", "field", "start",
                                                 "end", "sha1")}  # fmt: skip
        entry["themes"] = [t for t in theme_ids if t in labels[cid]]
        if cid in sentiments:
            entry["sentiment"] = sentiments[cid]
        entry["split"] = "train"
        entries.append(entry)
    return entries


def extend(existing: list[dict[str, Any]], entries: list[dict[str, object]]) -> list[dict[str, object]]:
    """``existing`` entries followed by a later round's ``entries``.

    Raises:
        ReviewPulseError: an id or a sentence (by hash) of the new round is already in ``existing``.
    """
    ids = {str(e["id"]) for e in existing}
    hashes = {str(e["sha1"]) for e in existing}
    clash = sorted(str(e["id"]) for e in entries if str(e["id"]) in ids or str(e["sha1"]) in hashes)
    if clash:
        raise ReviewPulseError(f"already in the training set: {', '.join(clash[:5])}")
    return [*existing, *entries]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("candidates", help="write candidate sentences to label (with their text: keep it "
                          "out of the repository)")  # fmt: skip
    make.add_argument("--language", required=True, choices=("en", "es", "pt"))
    make.add_argument("--total", type=int, default=600)
    make.add_argument("--out", type=Path, required=True)
    make.add_argument("--focus", default="", help="comma-separated theme ids: a second round for thin themes")
    make.add_argument("--prefix", default="t", help="id prefix after the language (t, then u for round two)")
    join = sub.add_parser("assemble", help="join candidates and their labels into labels.jsonl (no text)")
    join.add_argument("--candidates", type=Path, nargs="+", required=True)
    join.add_argument("--labels", type=Path, nargs="+", required=True)
    join.add_argument("--out", type=Path, default=DEFAULT_TRAINSET)
    join.add_argument("--append", action="store_true", help="keep the entries already in --out (a new round)")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    taxonomy = Taxonomy.load(settings.taxonomy_path)
    if args.command == "assemble":
        rows = [row for path in args.candidates for row in _read_jsonl(path)]
        label_rows = [row for path in args.labels for row in _read_jsonl(path)]
        for row in label_rows:
            if "id" not in row or not isinstance(row.get("themes"), list):
                raise ReviewPulseError(f"label row {row.get('id', row)!r}: needs an id and a themes list "
                                       "([] for none)")  # fmt: skip
        labels = {str(row["id"]): list(row["themes"]) for row in label_rows}
        sentiments = {str(row["id"]): str(row["sentiment"]) for row in label_rows if "sentiment" in row}
        entries = assemble(rows, labels, list(taxonomy.ids), sentiments)
        if args.append and args.out.exists():
            entries = extend(_read_jsonl(args.out), entries)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries), encoding="utf-8"
        )
        print(f"{len(entries)} labelled sentences -> {args.out}")
        return
    exclude = {(str(e["dataset"]), str(e["record"])) for e in read_entries()}
    focus = [t for t in args.focus.split(",") if t]
    seen = (
        {str(e["sha1"]) for e in read_entries(DEFAULT_TRAINSET, ("train",))}
        if DEFAULT_TRAINSET.exists()
        else set()
    )
    rows = candidates(settings, taxonomy, args.language, total=args.total, exclude=exclude, focus=focus,
                      seen=seen, prefix=args.prefix)  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} candidates -> {args.out}")


if __name__ == "__main__":
    main()
