"""Themes over the warehouse: split every new or changed text into sentences, read each sentence's sentiment
and complaint themes, and store them in ``review_sentences`` (``theme_mentions`` is a view over it).

    pending_themes    texts whose current content has no sentences under the current theme model version
    split             sentences (cut at contrasts), title first (``pipeline.themes.sentences``)
    encode            the sentence encoder (``sentence_settings``: the encoder with the theme model's own
                      sentence adapter), through the embedding cache (a sentence seen
                      before costs nothing)
    predict           sentiment head + theme combiner (``pipeline.themes.assign``)
    write             per batch of records, in one transaction: their old sentences out, the new ones in

The theme model version joins the encoder, the sentiment head, the taxonomy file's hash and the combiner's
hash: editing the taxonomy makes every text pending again, so themes are re-applied to all history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import ReviewPulseError
from pipeline.scoring.encoder import Encoder
from pipeline.scoring.engine import EmbeddingStore, encode, text_key
from pipeline.scoring.heads import heads_version, load_heads
from pipeline.settings import Settings
from pipeline.sources.language import detect_language, normalise_language
from pipeline.sources.parsers import has_content
from pipeline.themes.assign import Combiner, Prototypes, ThemeModel, _unit, example_texts
from pipeline.themes.sentences import split_sentences
from pipeline.themes.taxonomy import Taxonomy
from pipeline.warehouse import connect, run, sql_text, transaction

RECORDS_PER_BATCH = 2000


def combiner_path(settings: Settings) -> Path:
    """The combiner scoring uses: ``settings.themes_combiner`` (an override or the registry's promoted
    version, see ``Settings.from_env``), else the shipped ``themes_dir/combiner.json``."""
    return settings.themes_combiner or settings.themes_dir / "combiner.json"


SENTENCE_SENTIMENT = "sentence-sentiment"


def sentiment_folder(settings: Settings) -> Path:
    """The theme model's own sentence sentiment head (``themes_dir/sentence-sentiment``), on the sentence
    encoder (see ``sentence_settings``)."""
    folder = settings.themes_dir / SENTENCE_SENTIMENT
    if not (folder / "heads.json").exists():
        raise ReviewPulseError(
            f"no sentence sentiment head at {folder} (the theme model folder is incomplete)"
        )
    return folder


def sentence_adapter(settings: Settings) -> Path | None:
    """The theme model's sentence adapter (``themes_dir/sentence-adapter``), when there is one."""
    from pipeline.scoring.adapter import ADAPTER_SPEC
    from pipeline.themes.adapter import ADAPTER_FOLDER

    folder = settings.themes_dir / ADAPTER_FOLDER
    return folder if (folder / ADAPTER_SPEC).exists() else None


def sentence_settings(settings: Settings) -> Settings:
    """Settings for encoding sentences: the encoder with the theme model's own sentence adapter (none
    where the theme folder has none) and the sentence sentiment head.

    The review encoder adapter is fine-tuned for review-level sentiment, stars and fake text; that
    reshapes the embedding along those tasks and cost the theme matcher 4-5 points of micro-F1 in English
    and Spanish on the dev set's test split. Sentences are encoded in a pass of their own anyway, so
    themes use an adapter fine-tuned for themes instead (``pipeline.themes.adapter``).
    """
    return replace(
        settings, encoder_adapter=sentence_adapter(settings), heads_dirs=(sentiment_folder(settings),)
    )


def theme_version(settings: Settings) -> str:
    """The theme model version, from the files alone (no model loaded)."""
    taxonomy = Taxonomy.load(settings.taxonomy_path)
    if not combiner_path(settings).is_file():
        raise ReviewPulseError(f"no theme combiner at {combiner_path(settings)} (run `reviewpulse train "
                               "--model themes`)")  # fmt: skip
    combiner_hash = Combiner.digest(combiner_path(settings))
    return f"{heads_version(sentiment_folder(settings))}+{taxonomy.version}+combiner-{combiner_hash}"


def load_theme_model(
    settings: Settings, encoder: Encoder, store: EmbeddingStore | None, combiner: Combiner | None = None
) -> ThemeModel:
    """Taxonomy, combiner, sentiment head, and the examples' embeddings (encoded once, then cached).

    ``combiner`` replaces the configured one (training fits a new one on this model's evidence)."""
    sentiment = load_heads(sentiment_folder(settings))
    sentiment.require_encoder(encoder.version, "the theme model's sentence head and combiner")
    combiner = combiner or Combiner.load(combiner_path(settings))
    if combiner.heads is not None and combiner.heads.encoder != encoder.version.removesuffix("-int8"):
        raise ReviewPulseError(
            f"the theme heads in {combiner_path(settings)} were trained on {combiner.heads.encoder}, not on "
            f"the sentence encoder {encoder.version} (retrain them: `reviewpulse train --model themes`)"
        )
    taxonomy = Taxonomy.load(settings.taxonomy_path)
    texts, index, complaint = example_texts(taxonomy)
    vectors = np.concatenate(list(encode(encoder, texts, store=store)))
    return ThemeModel(
        taxonomy=taxonomy,
        combiner=combiner,
        sentiment=sentiment,
        prototypes=Prototypes(_unit(vectors), index, complaint),
        version=theme_version(settings),
    )


def unit_text(title: Any, text: Any) -> str:
    """What is split into sentences: the title as its own sentence, then the text."""
    title = title.strip() if isinstance(title, str) else ""
    text = text if isinstance(text, str) else ""
    if not has_content(title):
        return text
    return f"{title}. {text}" if title[-1] not in ".!?…" else f"{title} {text}"


def split_texts(texts: Sequence[str], languages: Sequence[str | None]) -> pd.DataFrame:
    """One row per sentence: ``row`` (the text's position), ``sentence_index``, offsets, text, language.

    A missing language is detected from the whole text, so every sentence of a text shares its language.
    """
    rows: list[tuple[int, int, int, int, str, str | None]] = []
    for row, (text, given) in enumerate(zip(texts, languages, strict=True)):
        text = text if isinstance(text, str) else ""
        language = normalise_language(given) if isinstance(given, str) and given.strip() else None
        language = language or detect_language(text)
        for i, sentence in enumerate(split_sentences(text, language)):
            rows.append((row, i, sentence.start, sentence.end, sentence.text, language))
    return pd.DataFrame(
        rows, columns=["row", "sentence_index", "start_char", "end_char", "sentence", "language"]
    )


def split_records(records: pd.DataFrame) -> pd.DataFrame:
    """One row per sentence of each record (``kind, source, record_id, content_hash`` kept), in order."""
    texts = [unit_text(t, x) for t, x in zip(records["title"], records["text"], strict=True)]
    sentences = split_texts(texts, records["language"].tolist())
    keys = records[["kind", "source", "record_id", "content_hash"]].reset_index(drop=True)
    return keys.iloc[sentences["row"]].reset_index(drop=True).join(sentences.drop(columns="row"))


def theme_sentences(
    model: ThemeModel, encoder: Encoder, store: EmbeddingStore | None, sentences: pd.DataFrame,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Add sentiment, themes and theme scores to a frame of sentences (``sentence``, ``language``).

    ``encoder`` must be the one the model was loaded with (``sentence_settings``'s sentence encoder)."""
    model.sentiment.require_encoder(encoder.version, "the theme model's sentence head and combiner")
    out = sentences.copy()
    texts = out["sentence"].astype(str).tolist()
    if not texts:
        for column in ("sentiment", "p_negative", "p_positive", "themes", "theme_scores", "text_key"):
            out[column] = pd.Series(dtype=object)
        return out
    embeddings = np.concatenate(list(encode(encoder, texts, store=store, progress=progress)))
    predicted = model.predict(texts, out["language"].tolist(), embeddings)
    ids = model.taxonomy.ids
    out["sentiment"] = predicted.sentiment
    out["p_negative"] = predicted.p_negative.round(4)
    out["p_positive"] = predicted.p_positive.round(4)
    out["themes"] = predicted.themes
    out["theme_scores"] = [
        [round(float(row[ids.index(t)]), 4) for t in chosen]
        for row, chosen in zip(predicted.proba, predicted.themes, strict=True)
    ]
    out["text_key"] = [text_key(t) for t in texts]
    return out


def catalog_frame(taxonomy: Taxonomy) -> pd.DataFrame:
    return pd.DataFrame({
        "theme": taxonomy.ids,
        "stage": [t.stage for t in taxonomy.themes],
        "description": [t.description["en"] for t in taxonomy.themes],
        "position": range(len(taxonomy.themes)),
        "taxonomy_version": taxonomy.version,
    })  # fmt: skip


def _batches(frame: pd.DataFrame, size: int) -> Iterable[pd.DataFrame]:
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size]


def assign_themes(
    settings: Settings,
    night: date | str,
    *,
    scorer: Any = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Theme every pending text as of ``night``; returns counts. Pass an open scorer to reuse its encoder."""
    night = date.fromisoformat(night) if isinstance(night, str) else night
    version = theme_version(settings)
    taxonomy = Taxonomy.load(settings.taxonomy_path)
    con = connect(settings)
    try:
        pending = con.execute(sql_text(settings, "core/pending_themes"), {"model_version": version}).df()
        with transaction(con, batch_theme_catalog=catalog_frame(taxonomy)):
            run(con, sql_text(settings, "core/refresh_theme_catalog"))
    finally:
        con.close()
    summary: dict[str, Any] = {
        "model_version": version,
        "records": len(pending),
        "sentences": 0,
        "mentions": 0,
    }
    if pending.empty:
        return summary
    from pipeline.scoring.service import open_scorer

    active = scorer or open_scorer(sentence_settings(settings))
    try:
        model = load_theme_model(settings, active.encoder, active.store)
        for batch in _batches(pending, RECORDS_PER_BATCH):
            sentences = theme_sentences(model, active.encoder, active.store, split_records(batch), progress)
            sentences["model_version"] = version
            _write(settings, night, batch[["kind", "source", "record_id"]], sentences)
            summary["sentences"] += len(sentences)
            summary["mentions"] += int(sentences["themes"].map(len).sum()) if len(sentences) else 0
    finally:
        if scorer is None:
            active.close()
    return summary


def _write(settings: Settings, night: date, records: pd.DataFrame, sentences: pd.DataFrame) -> None:
    con = connect(settings)
    try:
        with transaction(con, batch_sentence_records=records, batch_sentences=sentences):
            run(con, sql_text(settings, "core/delete_sentences"))
            if len(sentences):
                run(con, sql_text(settings, "core/insert_sentences"), {"night": night})
    finally:
        con.close()


def update_emerging(settings: Settings, night: date | str, *, scorer: Any = None) -> dict[str, Any]:
    """Cluster the night's window of negative sentences no theme covers into emerging themes, keeping the
    ids of earlier nights' clusters (``pipeline.themes.emerging``); returns counts.

    Rerunning a night older than the latest one discovered keeps its clusters as they are: the warehouse
    holds only each text's current sentences, so an older window can no longer be rebuilt exactly (the
    fake-review step does the same).
    """
    from pipeline.themes.emerging import EmergingConfig, update

    night = date.fromisoformat(night) if isinstance(night, str) else night
    config = EmergingConfig()
    con = connect(settings)
    try:
        latest = con.execute("select max(night) from emerging_clusters").fetchall()[0][0]
        if latest is not None and latest > night:
            return {"skipped": f"emerging themes already discovered for a later night ({latest})"}
        params = {"night": night, "days": config.lookback_days, "max_rating": config.max_rating}
        candidates = con.execute(sql_text(settings, "core/emerging_candidates"), params).df()
    finally:
        con.close()
    if len(candidates) < config.min_cluster_size:
        return {"sentences": len(candidates), "clusters": 0, "new": 0, "rising": 0}
    from pipeline.scoring.service import open_scorer

    active = scorer or open_scorer(sentence_settings(settings))
    try:
        embeddings = np.concatenate(
            list(encode(active.encoder, candidates["text"].tolist(), store=active.store))
        )
    finally:
        if scorer is None:
            active.close()
    con = connect(settings)
    try:
        result = update(con, settings, candidates, embeddings, night, config)
    finally:
        con.close()
    statuses = [c.status for c in result.clusters]
    return {
        "sentences": len(candidates), "clusters": len(result.clusters), "new": statuses.count("new"),
        "rising": statuses.count("rising"), "unclustered_share": round(result.unclustered_share, 4),
        "generic": result.generic,
    }  # fmt: skip
