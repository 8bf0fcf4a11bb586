"""Emerging complaint themes on synthetic embeddings: Gaussian blobs on the sphere, one planted word each."""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from pipeline.settings import Settings
from pipeline.themes.emerging import (
    Cluster,
    EmergingConfig,
    ctfidf,
    discover,
    dispersion,
    expected_count,
    leans_negative,
    load_previous,
    measure_stability,
    phrases,
    save_run,
    trend,
    update,
)

DIM = 384
NIGHT = date(2026, 11, 28)
STEADY = (12, 12, 12, 12)  # sentences per week, oldest first; the last week ends on NIGHT
FILLERS = ("really bad, the", "very disappointed because the", "terrible experience: the", "awful, the")
TAILS = ("broke again", "was a problem", "failed after a week", "is the worst part")


def _unit(seed_text: str) -> np.ndarray:
    vector = np.random.default_rng(zlib.crc32(seed_text.encode())).normal(size=DIM)
    return vector / np.linalg.norm(vector)


COMMON = _unit("common direction")  # e5-like: every sentence shares a large common component


def blobs(weeks: dict[str, tuple[int, ...]], night: date = NIGHT) -> tuple[pd.DataFrame, np.ndarray]:
    """Sentences of planted themes: ``word -> sentences per week`` (oldest week first, up to ``night``).

    Each theme is a Gaussian blob around its own direction (seeded by the word, so adding a theme does
    not move the others); each sentence names the theme's word among words every theme uses.
    """
    rows, vectors = [], []
    for word, counts in weeks.items():
        for w, count in enumerate(counts):
            for i in range(count):
                key = f"{word}-w{w}-{i}"
                day = night - timedelta(days=7 * (len(counts) - 1 - w) + i % 7)
                rows.append({"sentence_id": key, "review_id": key, "day": day, "language": "en",
                             "text": f"{FILLERS[i % 4]} {word} {TAILS[(i // 4) % 4]}",
                             "product_id": f"p-{word}", "seller_id": "s-1", "truth": word})  # fmt: skip
                noise = np.random.default_rng(zlib.crc32(key.encode())).normal(size=DIM) / np.sqrt(DIM)
                vectors.append(3 * COMMON + _unit(word) + 0.35 * noise)
    return pd.DataFrame(rows), np.asarray(vectors, dtype=np.float32)


def _ids(result) -> pd.Series:  # type: ignore[no-untyped-def]
    return result.assignments.set_index("sentence_id")["cluster_id"]


def _by_word(result, frame: pd.DataFrame) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The cluster id most of each planted theme's sentences went to."""
    joined = frame.set_index("sentence_id")["truth"].to_frame().join(_ids(result))
    return joined.groupby("truth")["cluster_id"].agg(lambda s: s.mode().iloc[0]).to_dict()


THEMES = {"zipper": STEADY, "battery": STEADY, "courier": STEADY, "refund": STEADY}


def test_planted_themes_are_recovered_with_few_unclustered() -> None:
    frame, vectors = blobs(THEMES)
    result = discover(frame, vectors, None, NIGHT)
    ids = _ids(result).loc[frame["sentence_id"]]
    assert len(result.clusters) == 4
    assert adjusted_rand_score(frame["truth"], ids.fillna("none")) == 1.0
    assert result.unclustered_share <= 0.02
    assert {c.status for c in result.clusters} == {"new"}  # first run: every cluster is first seen now


def test_a_stray_sentence_stays_unclustered_rather_than_forced_into_a_theme() -> None:
    frame, vectors = blobs(THEMES)
    stray = pd.DataFrame([{"sentence_id": "stray", "review_id": "stray", "day": NIGHT, "language": "en",
                           "text": "the lid cracked", "truth": "stray"}])  # fmt: skip
    stray_vector = (3 * COMMON - 2.0 * np.stack([_unit(w) for w in THEMES]).sum(axis=0))[None, :]
    result = discover(pd.concat([frame, stray]), np.vstack([vectors, stray_vector]), None, NIGHT)
    assert pd.isna(_ids(result)["stray"])
    assert result.unclustered_share == pytest.approx(1 / (len(frame) + 1))


def test_generic_verdicts_are_counted_and_left_out_however_tightly_they_cluster() -> None:
    frame, vectors = blobs(THEMES)
    verdicts = ("Disappointed.", "No lo recomiendo.", "Could be better.", "Não recomendo!")
    generic = pd.DataFrame([{"sentence_id": f"verdict-{i}", "review_id": f"verdict-{i}", "day": NIGHT,
                             "language": "en", "text": verdicts[i % 4], "truth": "verdict"}
                            for i in range(12)])  # fmt: skip
    generic_vectors = np.stack([3 * COMMON + _unit("verdict")] * len(generic))
    both, both_vectors = pd.concat([frame, generic]), np.vstack([vectors, generic_vectors])
    result = discover(both, both_vectors, None, NIGHT)
    assert result.generic == len(generic)
    assert len(result.clusters) == 4 and not result.assignments["sentence_id"].str.startswith("verdict").any()
    # the rule is a setting: at 0 content words they form their own theme
    kept = discover(both, both_vectors, None, NIGHT, EmergingConfig(min_content_words=0))
    assert kept.generic == 0 and len(kept.clusters) == 5


def test_a_theme_whose_sentences_share_no_phrase_is_labelled_by_its_best_single_sentence_phrases() -> None:
    frame, vectors = blobs(THEMES)
    texts = ("devolução demorou semanas", "reembolso nunca chegou", "refund took forever",
             "estorno atrasado demais", "dinero tardó meses", "money back delayed")  # fmt: skip
    refunds = pd.DataFrame([{"sentence_id": f"r-{i}", "review_id": f"r-{i}", "day": NIGHT, "language": "pt",
                             "text": text, "truth": "refund"} for i, text in enumerate(texts)])  # fmt: skip
    noise = np.random.default_rng(3).normal(size=(len(texts), DIM)) / np.sqrt(DIM)
    refund_vectors = 3 * COMMON + _unit("refund words") + 0.35 * noise
    result = discover(pd.concat([frame, refunds]), np.vstack([vectors, refund_vectors]), None, NIGHT)
    (cluster,) = [c for c in result.clusters if set(c.example_ids) <= set(refunds["sentence_id"])]
    assert cluster.size == len(texts) and cluster.label
    assert all(sum(term in text for text in texts) == 1 for term in cluster.terms)


def test_ctfidf_label_is_the_planted_distinctive_word() -> None:
    frame, vectors = blobs(THEMES)
    result = discover(frame, vectors, None, NIGHT)
    by_word = _by_word(result, frame)
    for cluster in result.clusters:
        word = next(w for w, cid in by_word.items() if cid == cluster.cluster_id)
        assert cluster.terms[0] == word, cluster.terms
        assert word in cluster.label
        assert len(cluster.examples) == 3 and all(word in e for e in cluster.examples)
        assert cluster.top_products == (f"p-{word}",)


def test_ctfidf_scores_a_word_of_every_class_below_a_distinctive_one() -> None:
    texts = ["zipper broke", "zipper broke again", "battery broke", "battery broke again"]
    scores, doc_freq, vocab = ctfidf(texts, np.array([0, 0, 1, 1]))
    row = scores.toarray()[0]
    assert row[vocab.index("zipper")] > row[vocab.index("broke")] > 0
    assert doc_freq.toarray()[0][vocab.index("zipper")] == 2


def test_phrases_keep_negations_leading_but_no_stopword_at_either_end() -> None:
    grams = phrases("It is not working and the zipper broke")
    assert "not working" in grams and "zipper broke" in grams
    assert "the zipper" not in grams and "working and" not in grams and "not" not in grams
    assert "no funciona" in phrases("Esto no funciona")


def test_ids_do_not_depend_on_row_order() -> None:
    frame, vectors = blobs(THEMES)
    first = discover(frame, vectors, None, NIGHT)
    order = np.random.default_rng(7).permutation(len(frame))
    shuffled = discover(frame.iloc[order], vectors[order], None, NIGHT)
    pd.testing.assert_series_equal(_ids(first), _ids(shuffled))
    assert [c.cluster_id for c in first.clusters] == [c.cluster_id for c in shuffled.clusters]
    assert [c.terms for c in first.clusters] == [c.terms for c in shuffled.clusters]


def test_ids_are_kept_when_a_run_adds_a_day_of_data() -> None:
    frame, vectors = blobs(THEMES)
    yesterday = NIGHT - timedelta(days=1)
    before = (pd.to_datetime(frame["day"]) <= pd.Timestamp(yesterday)).to_numpy()
    first = discover(frame[before], vectors[before], None, yesterday)
    second = discover(frame, vectors, first.clusters, NIGHT)
    kept = _ids(first)
    assert (_ids(second).loc[kept.index] == kept).all()
    assert {c.status for c in second.clusters} <= {"steady", "rising", "fading"}
    assert all(c.first_seen == yesterday and c.last_seen == NIGHT for c in second.clusters)


def test_a_new_theme_gets_a_new_id_and_the_new_flag() -> None:
    old, old_vectors = blobs(THEMES, NIGHT - timedelta(days=7))
    first = discover(old, old_vectors, None, NIGHT - timedelta(days=7))
    frame, vectors = blobs({**THEMES, "mould": (0, 0, 0, 10)})
    second = discover(frame, vectors, first.clusters, NIGHT)
    new = [c for c in second.clusters if c.status == "new"]
    assert len(new) == 1 and new[0].terms[0] == "mould"
    assert new[0].cluster_id not in {c.cluster_id for c in first.clusters}
    assert new[0].first_seen == NIGHT
    assert {c.cluster_id for c in second.clusters} - {new[0].cluster_id} == {
        c.cluster_id for c in first.clusters
    }


def test_a_new_theme_does_not_inherit_the_id_of_a_theme_that_went_away() -> None:
    old, old_vectors = blobs(THEMES, NIGHT - timedelta(days=7))
    first = discover(old, old_vectors, None, NIGHT - timedelta(days=7))
    gone = _by_word(first, old)["refund"]
    themes = {w: c for w, c in THEMES.items() if w != "refund"} | {"mould": STEADY}
    frame, vectors = blobs(themes)
    second = discover(frame, vectors, first.clusters, NIGHT)
    mould = _by_word(second, frame)["mould"]
    assert mould != gone
    assert next(c for c in second.clusters if c.cluster_id == mould).status == "new"


def test_a_theme_whose_count_jumps_this_week_is_rising_and_the_others_steady() -> None:
    themes = {**THEMES, "zipper": (10, 10, 10, 40)}
    frame, vectors = blobs(themes)
    yesterday = NIGHT - timedelta(days=1)
    before = (pd.to_datetime(frame["day"]) <= pd.Timestamp(yesterday)).to_numpy()
    first = discover(frame[before], vectors[before], None, yesterday)
    result = discover(frame, vectors, first.clusters, NIGHT)
    status = {c.terms[0]: c.status for c in result.clusters}
    assert status == {"zipper": "rising", "battery": "steady", "courier": "steady", "refund": "steady"}
    zipper = next(c for c in result.clusters if c.terms[0] == "zipper")
    assert zipper.weekly_counts == (10, 10, 10, 40)
    assert zipper.expected == pytest.approx(10.0)
    assert result.clusters[0] is zipper  # rising clusters lead the list


def test_a_theme_that_stops_is_fading() -> None:
    frame, vectors = blobs({**THEMES, "zipper": (15, 15, 15, 0)})
    result = discover(frame, vectors, None, NIGHT)
    trends = {c.terms[0]: c.trend for c in result.clusters}
    assert trends["zipper"] == "fading"
    assert trends["battery"] == "steady"


def test_trend_is_relative_to_the_rest_of_the_stream() -> None:
    config = EmergingConfig()
    # every cluster doubles because the night brought twice the reviews: not rising
    assert expected_count([10, 10, 10, 20], [100, 100, 100, 200]) == pytest.approx(20.0)
    assert trend(20, 20.0, config) == ("steady", 1.0)
    # the same count with a steady stream rises
    assert trend(20, expected_count([5, 5, 5, 20], [100, 100, 100, 115]), config)[0] == "rising"
    # below the minimum count nothing rises, whatever the ratio
    assert trend(4, 0.0, config)[0] == "steady"
    # no earlier week of data: no judgement
    assert expected_count([0, 0, 0, 9], [0, 0, 0, 50]) is None and trend(9, None, config) == ("steady", 1.0)


def test_overdispersion_raises_the_bar_for_rising() -> None:
    config = EmergingConfig()
    assert dispersion([10, 10, 10, 10, 10], [10, 10, 10, 10, 10]) == 1.0
    noisy = dispersion([2, 25, 3, 22, 1, 20], [10, 10, 10, 10, 10, 10])
    assert noisy > 3
    assert trend(22, 10.0, config, 1.0)[0] == "rising"
    assert trend(22, 10.0, config, noisy)[0] == "steady"


def test_discovery_is_deterministic_and_checks_its_input() -> None:
    frame, vectors = blobs(THEMES)
    a, b = discover(frame, vectors, None, NIGHT), discover(frame, vectors, None, NIGHT)
    assert [(c.cluster_id, c.size, c.terms) for c in a.clusters] == [
        (c.cluster_id, c.size, c.terms) for c in b.clusters
    ]
    with pytest.raises(ValueError, match="columns"):
        discover(frame.drop(columns="day"), vectors, None, NIGHT)
    with pytest.raises(ValueError, match="repeats"):
        discover(pd.concat([frame, frame.head(1)]), np.vstack([vectors, vectors[:1]]), None, NIGHT)
    with pytest.raises(ValueError, match="after the night"):
        discover(frame, vectors, None, NIGHT - timedelta(days=1))
    with pytest.raises(ValueError, match="embeddings"):
        discover(frame, vectors[:-1], None, NIGHT)
    empty = discover(frame.head(0), vectors[:0], None, NIGHT)
    assert empty.clusters == [] and empty.unclustered_share == 0.0


def test_stability_over_overlapping_windows_is_perfect_on_clean_themes() -> None:
    frame, vectors = blobs({w: (12, 12, 12, 12, 12) for w in THEMES})
    start = NIGHT - timedelta(days=34)
    report = measure_stability(
        frame, vectors, (start, start + timedelta(days=27)), (start + timedelta(days=7), NIGHT)
    )
    assert report.n_overlap > 0 and report.n_overlap < min(report.n_first, report.n_second)
    assert report.same_id_share == 1.0 and report.ari == 1.0 and report.ari_clustered == 1.0
    assert report.unclustered_first <= 0.02 and report.unclustered_second <= 0.02
    assert report.clusters_first == report.clusters_second == 4


def test_without_anchoring_ids_still_follow_the_centroids() -> None:
    frame, vectors = blobs(THEMES)
    config = replace(EmergingConfig(), anchor=False)
    first = discover(frame, vectors, None, NIGHT - timedelta(days=0), config)
    second = discover(frame, vectors, first.clusters, NIGHT, config)
    assert (_ids(first) == _ids(second)).all()


def _cluster_key(c: Cluster) -> tuple[object, ...]:
    return (
        c.cluster_id, c.size, c.terms, c.example_ids, c.examples, c.first_seen, c.last_seen,
        c.weekly_counts, c.status, c.trend, c.expected, c.languages, c.top_products, c.top_sellers,
    )  # fmt: skip


def test_a_saved_run_loads_back_as_the_previous_clusters(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    frame, vectors = blobs(THEMES)
    result = discover(frame, vectors, None, NIGHT)
    save_run(con, result, settings)
    loaded = load_previous(con, settings, NIGHT + timedelta(days=1))
    assert sorted(map(_cluster_key, loaded)) == sorted(map(_cluster_key, result.clusters))
    for cluster in loaded:
        original = next(c for c in result.clusters if c.cluster_id == cluster.cluster_id)
        np.testing.assert_allclose(cluster.centroid, original.centroid, rtol=1e-6)
    assert load_previous(con, settings, NIGHT) == []  # the night itself is never its own previous
    assert load_previous(con, settings, NIGHT + timedelta(days=40)) == []  # past the lookback
    assert con.execute("select count(*) from emerging_assignments where night = ?", [NIGHT]).fetchone() == (
        len(frame),
    )


def test_rerunning_a_night_gives_the_same_ids_and_no_doubled_rows(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    frame, vectors = blobs(THEMES)
    yesterday = NIGHT - timedelta(days=1)
    before = (pd.to_datetime(frame["day"]) <= pd.Timestamp(yesterday)).to_numpy()
    first = update(con, settings, frame[before], vectors[before], yesterday)
    night = update(con, settings, frame, vectors, NIGHT)
    rerun = update(con, settings, frame, vectors, NIGHT)
    assert [c.cluster_id for c in rerun.clusters] == [c.cluster_id for c in night.clusters]
    assert {c.cluster_id for c in night.clusters} == {c.cluster_id for c in first.clusters}
    counts = con.execute(
        "select night, count(*), min(first_seen) from emerging_clusters group by night order by night"
    ).fetchall()
    assert counts == [(yesterday, 4, yesterday), (NIGHT, 4, yesterday)]
    assert con.execute("select count(*) from emerging_assignments").fetchone() == (before.sum() + len(frame),)


def test_above_max_points_a_hash_chosen_sample_is_clustered_and_every_sentence_placed() -> None:
    frame, vectors = blobs(THEMES)
    config = replace(EmergingConfig(), max_points=100)
    result = discover(frame, vectors, None, NIGHT, config)
    ids = _ids(result).loc[frame["sentence_id"]]
    assert len(result.clusters) == 4 and ids.notna().all()
    assert adjusted_rand_score(frame["truth"], ids) == 1.0
    order = np.random.default_rng(3).permutation(len(frame))
    pd.testing.assert_series_equal(
        _ids(discover(frame.iloc[order], vectors[order], None, NIGHT, config)), _ids(result)
    )


def test_weekly_counts_count_reviews_not_sentences() -> None:
    frame, vectors = blobs({**THEMES, "zipper": (10, 10, 10, 40)})
    zipper_now = (frame["truth"] == "zipper") & (
        pd.to_datetime(frame["day"]) > pd.Timestamp(NIGHT - timedelta(days=7))
    )
    # the 40 sentences of this week come from 4 reviews of 10 sentences each: one voice each, not rising
    frame.loc[zipper_now, "review_id"] = [f"r{i // 10}" for i in range(int(zipper_now.sum()))]
    result = discover(frame, vectors, None, NIGHT)
    zipper = next(c for c in result.clusters if c.terms[0] == "zipper")
    assert zipper.weekly_counts == (10, 10, 10, 4) and zipper.size == 70
    assert zipper.trend != "rising"


def test_previous_clusters_of_another_encoder_are_not_matched() -> None:
    frame, vectors = blobs(THEMES)
    first = discover(frame, vectors, None, NIGHT)
    shorter = [replace(c, centroid=c.centroid[:128]) for c in first.clusters]
    second = discover(frame, vectors, shorter, NIGHT)
    assert {c.status for c in second.clusters} == {"new"}


def test_unclustered_sentences_are_stored_with_null_cluster_and_similarity(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    frame, vectors = blobs(THEMES)
    stray = pd.DataFrame(
        [{"sentence_id": "stray", "day": NIGHT, "language": "en", "text": "the lid cracked"}]
    )
    stray_vector = (3 * COMMON - 2.0 * np.stack([_unit(w) for w in THEMES]).sum(axis=0))[None, :]
    save_run(
        con, discover(pd.concat([frame, stray]), np.vstack([vectors, stray_vector]), None, NIGHT), settings
    )
    assert con.execute(
        "select cluster_id, similarity from emerging_assignments where sentence_id = 'stray'"
    ).fetchall() == [(None, None)]
    assert con.execute("select count(*) from emerging_assignments where cluster_id is null").fetchone() == (
        1,
    )


def test_candidates_are_the_untaxonomied_negative_sentences_of_records_rated_three_or_less(
    settings: Settings, con: duckdb.DuckDBPyConnection, tmp_path
) -> None:
    from pipeline.ingest import ingest_file
    from pipeline.warehouse import sql_text

    export = tmp_path / "reviews.csv"
    export.write_text(
        "review_id,product_id,reviewer_id,rating,title,text,review_date\n"
        + "".join(f"r{stars},p1,u{stars},{stars},t,text {stars},2026-11-27\n" for stars in (1, 3, 4, 5)),
        encoding="utf-8",
    )
    ingest_file(con, settings, export, fmt="generic_csv", kind="reviews", night=NIGHT)
    surveys = tmp_path / "surveys.csv"  # a survey answer without a CSAT score is unrated
    surveys.write_text(
        "response_id,channel,response_date,nps,ces,csat,comment\ns1,web,2026-11-27,3,6,,text\n"
        "s5,web,2026-11-27,9,2,5,text\n",
        encoding="utf-8",
    )
    ingest_file(con, settings, surveys, fmt="generic_csv", kind="survey_responses", night=NIGHT)
    records = con.execute(
        "select 'reviews', review_id, content_hash from reviews union all "
        "select 'survey_responses', response_id, content_hash from survey_responses"
    ).fetchall()
    for kind, record_id, content_hash in records:
        sentences = [
            ("negative", 0.8, 0.1, []), ("negative", 0.8, 0.1, ["delivery"]), ("positive", 0.1, 0.8, []),
            ("neutral", 0.4, 0.2, []), ("neutral", 0.2, 0.4, []),
        ]  # fmt: skip
        for index, (sentiment, p_negative, p_positive, themes) in enumerate(sentences):
            con.execute(
                "insert into review_sentences values (?, 'generic_csv', ?, ?, ?, 0, 1, ?, 'en', ?, "
                "?, ?, ?, ?, 'k', 'v', ?)",
                [kind, record_id, content_hash, index, f"{record_id} s{index}", sentiment, p_negative,
                 p_positive, themes, [0.9] * len(themes), NIGHT],
            )  # fmt: skip
    config = EmergingConfig()
    candidates = con.execute(
        sql_text(settings, "core/emerging_candidates"),
        {"night": NIGHT, "days": config.lookback_days, "max_rating": config.max_rating},
    ).df()
    # per record, the sentences without a theme that are negative or neutral leaning negative (s0, s3); those
    # of 4-5 star reviews and a CSAT-5 answer are left out, the unrated answer's stay
    assert sorted(candidates["text"]) == ["r1 s0", "r1 s3", "r3 s0", "r3 s3", "s1 s0", "s1 s3"]
    # the rule the SQL applies: called negative, neutral leaning negative, neutral leaning positive, positive
    kept = leans_negative([0.8, 0.4, 0.2, 0.05], [0.1, 0.2, 0.4, 0.9])
    assert kept.tolist() == [True, True, False, False]
