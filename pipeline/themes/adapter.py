"""The sentence adapter: a LoRA adapter that fine-tunes the sentence encoder for complaint themes.

With the encoder frozen, sentence embeddings are dominated by what the product is and how the customer
feels; which touchpoint a sentence complains about is a faint direction in them (a nearest-neighbour vote
over 2,000 labelled sentences reaches micro-F1 0.45-0.50 on the dev set's test split). This adapter is
trained on the theme labels so that direction grows:

    rows    the training set's sentences, cut into units as the pipeline cuts them (``train``), the
            taxonomy's example complaints (positive for their theme) and mere mentions (negative for all),
            and the dev set's ``tune`` split (``dev``: picks the epoch); the dev set's ``test`` split is
            never used
    tasks   one binary task per theme and one 3-class task for the sentence's own hand-given sentiment,
            each a linear head on the mean-pooled embedding (the heads are then dropped: the theme model
            fits its own heads, sentence sentiment head and combiner on the adapted embeddings). The
            sentiment task keeps praise of a touchpoint ("arrived two days early") apart from complaints
            about it, which the theme tasks alone pulled together.

It runs on a CPU in minutes (short sentences, about 3,000 rows). The adapter is merged into the encoder
weights when sentences are encoded (``sentence_settings``), so themes still cost one encoder pass per
sentence; the sentence sentiment head and the theme model are then trained on the adapted encoder.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.settings import Settings

ADAPTER_FOLDER = "sentence-adapter"


def training_rows(
    settings: Settings,
) -> tuple[list[str], np.ndarray, np.ndarray, tuple[str, ...], np.ndarray]:
    """Texts, ``[rows, themes]`` 0/1 labels, ``train``/``dev`` split per row, the theme ids, and each row's
    hand-given sentence sentiment (0 negative, 1 neutral, 2 positive; -1 where there is none: the
    taxonomy's mere mentions, and the units of a sentence the pipeline cuts in several, whose parts may
    lean apart, as "great headphones, but delivery took three weeks")."""
    from pipeline.themes.assign import example_texts
    from pipeline.themes.devset import SENTIMENTS, load_devset
    from pipeline.themes.sentences import split_sentences
    from pipeline.themes.taxonomy import Taxonomy
    from pipeline.themes.trainset import DEFAULT_TRAINSET

    taxonomy = Taxonomy.load(settings.taxonomy_path)
    ids = taxonomy.ids
    texts: list[str] = []
    labels: list[np.ndarray] = []
    split: list[str] = []
    sentiment: list[int] = []

    def add(text: str, themes: Any, part: str, feeling: int) -> None:
        row = np.zeros(len(ids), dtype=np.int64)
        for theme in themes:
            row[ids.index(theme)] = 1
        texts.append(text)
        labels.append(row)
        split.append(part)
        sentiment.append(feeling)

    train = load_devset(settings.shared_data_dir, DEFAULT_TRAINSET, settings.taxonomy_path, ("train",))
    dev = load_devset(settings.shared_data_dir, taxonomy=settings.taxonomy_path)
    for frame, part in ((train, "train"), (dev[dev["split"] == "tune"], "dev")):
        for sentence, language, themes, feeling in zip(
            frame["sentence"], frame["language"], frame["themes"], frame["sentiment"], strict=True
        ):
            units = [s.text for s in split_sentences(str(sentence), language)] or [str(sentence)]
            code = SENTIMENTS.index(feeling) if feeling in SENTIMENTS and len(units) == 1 else -1
            for unit in units:
                add(unit, themes, part, code)
    examples, index, complaint = example_texts(taxonomy)
    for text, t, is_complaint in zip(examples, index, complaint, strict=True):
        add(text, [ids[t]] if is_complaint else [], "train", 0 if is_complaint else -1)
    return texts, np.stack(labels), np.asarray(split), ids, np.asarray(sentiment)


def train_sentence_adapter(
    settings: Settings, out: Path | None = None, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Fine-tune the adapter on the plain encoder and write it to ``out`` (default
    ``themes_dir/sentence-adapter``); returns the spec written (with the per-epoch history)."""
    import torch

    from pipeline.scoring.adapter import save_adapter
    from pipeline.scoring.encoder import load_encoder
    from pipeline.scoring.finetune import FinetuneConfig, Task, finetune

    target = out or settings.themes_dir / ADAPTER_FOLDER
    texts, labels, split, ids, sentiment = training_rows(settings)
    encoder = load_encoder(dataclasses.replace(settings, encoder_adapter=None))
    config = FinetuneConfig(epochs=4, batch_size=32, max_tokens=96)
    tasks = [Task(theme, labels[:, t]) for t, theme in enumerate(ids)]
    if (sentiment[split == "train"] >= 0).any():
        tasks.append(Task("sentence_sentiment", sentiment))
    tensors, history = finetune(
        encoder.model, encoder.token_ids(texts), tasks, split, config, torch.device("cpu"),
        int(encoder.tokenizer.pad_token_id or 0), log=log,
    )  # fmt: skip
    spec = {
        "base_encoder": encoder.version, "rank": config.rank, "alpha": config.alpha,
        "method": "LoRA fine-tuned on complaint themes (one binary task per theme) and the sentences' own "
                  "sentiment (one 3-class task) over the theme training set and the taxonomy's examples; "
                  "best epoch by mean accuracy over the tasks on the dev set's tune split",
        "rows": {"train": int((split == "train").sum()), "dev": int((split == "dev").sum())},
        "themes": list(ids), "config": config.as_dict(), "history": history,
    }  # fmt: skip
    save_adapter(target, tensors, spec)
    return {"path": str(target), **spec}
