"""Keyword phrases for sellers: candidates, near-duplicate merging, scores, MMR, exports, listing gaps, CLI.

Each warehouse test writes a few hand-made reviews whose phrases and counts are chosen so the expected
outcome follows from the documented rules, not from running the code.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from pipeline import cli
from pipeline.errors import ConfigError, ReviewPulseError
from pipeline.keywords import (
    KeywordConfig,
    build_keywords,
    compute_keywords,
    export_keywords,
    listing_gaps,
    top_keywords,
)
from pipeline.keywords.exports import safe_name
from pipeline.keywords.mart import Period
from pipeline.keywords.phrases import CONTENT, NEG, STOP, candidates, phrase_key, stopwords, word_class
from pipeline.keywords.scoring import log_odds_z, mmr, novelty
from pipeline.settings import Settings
from pipeline.warehouse import connect

NIGHT = date(2026, 11, 20)
_ids = count(1)


def _review(
    con: duckdb.DuckDBPyConnection,
    product: str,
    text: str,
    *,
    rating: int = 5,
    category: str = "kitchen",
    language: str = "en",
    day: date = NIGHT,
    title: str = "",
    reviewer: str | None = None,
    first_seen: date | None = None,
) -> str:
    """Insert one review and return its id (each review has its own reviewer unless one is given)."""
    rid = f"r{next(_ids)}"
    con.execute(
        "insert into reviews (review_id, source, product_id, category, reviewer_key, rating, title, text, "
        "language, review_date, content_hash, first_seen, last_seen, ingest_run_id) "
        "values (?, 'test', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'run')",
        [rid, product, category, reviewer or f"u-{rid}", rating, title, text, language, day, f"h-{rid}",
         first_seen or day, first_seen or day],
    )  # fmt: skip
    return rid


def _fake(con: duckdb.DuckDBPyConnection, rid: str, probability: float, *, night: date = NIGHT) -> None:
    """A fake score for a review, suspicious at 0.5 or more (the shipped cut-off)."""
    con.execute(
        "insert into fake_scores (kind, source, record_id, content_hash, scored_night, fake_probability, "
        "suspicious, fake_reasons, signals, signals_version) "
        "values ('reviews', 'test', ?, ?, ?, ?, ?, '', '{}', 't')",
        [rid, f"h-{rid}", night, probability, probability >= 0.5],
    )


def _rows(con: duckdb.DuckDBPyConnection, scope_id: str, scope: str = "product") -> pd.DataFrame:
    return con.execute(
        "select * from mart_keywords where scope = ? and scope_id = ? order by language, rank",
        [scope, scope_id],
    ).df()


def _row(frame: pd.DataFrame, phrase: str) -> pd.Series:
    hits = frame[frame["phrase"] == phrase]
    assert len(hits) == 1, (phrase, frame["phrase"].tolist())
    return hits.iloc[0]


# --- candidates -------------------------------------------------------------------------------------------


def test_stopword_only_and_stopword_edged_phrases_are_not_candidates() -> None:
    found = candidates(["It is the one. The battery life is long and it was not the best"], "en")
    for junk in ("is the", "it is the", "the battery", "battery life is", "not the", "the one", "life is"):
        assert junk not in found
    assert {"battery life", "battery life is long", "was not the best"} <= found
    assert "not the best" not in found  # after an auxiliary, the phrase starts at the auxiliary


def test_candidates_stay_inside_a_clause_and_keep_negation() -> None:
    found = candidates(["Fast shipping. Great price, no funciona"], "en") | candidates(["No funciona."], "es")
    assert "shipping great" not in found and "price no" not in found  # punctuation ends a phrase
    assert {"fast shipping", "great price", "no funciona"} <= found
    pt = candidates(["Produto não funciona, pra mim não serve"], "pt")
    assert "não funciona" in pt and "produto não funciona" in pt
    assert not any(p.split()[0] == "pra" for p in pt)  # informal "pra" is a stopword


def test_a_five_word_run_cut_inside_a_longer_phrase_is_no_candidate() -> None:
    found = candidates(["Free shipping was a nice bonus."], "en")
    assert "free shipping was a nice" not in found and "shipping was a nice bonus" not in found
    assert {"free shipping", "nice bonus"} <= found
    whole = candidates(["Shipping was a nice bonus."], "en")  # five words that are the whole phrase
    assert "shipping was a nice bonus" in whole


def test_a_run_that_stops_inside_a_noun_phrase_a_determiner_opened_is_no_candidate() -> None:
    assert "shipping was a nice" not in candidates(["Free shipping was a nice bonus."], "en")
    es = candidates(["El envío gratis fue un buen detalle."], "es")
    assert "gratis fue un buen" not in es and "envío gratis fue un buen" not in es
    assert {"envío gratis", "buen detalle"} <= es
    pt = candidates(["Produto veio com uma capa rasgada"], "pt")
    assert "veio com uma capa" not in pt and "capa rasgada" in pt
    en = candidates(["Arrived with a broken case."], "en")
    assert "arrived with a broken" not in en and {"arrived with a broken case", "broken case"} <= en
    assert "arrived with a case" in candidates(["Arrived with a case."], "en")  # the noun ends the phrase
    washes = candidates(["Novo depois de várias lavagens!"], "pt")  # a quantifier opens one too
    assert "novo depois de várias" not in washes and "novo depois de várias lavagens" in washes


def test_review_words_that_news_stopword_lists_drop_are_kept() -> None:
    assert {"buena calidad", "muy buena calidad"} & candidates(["Muy buena calidad"], "es") == {
        "buena calidad"
    }
    assert "bom produto" in candidates(["Bom produto"], "pt")
    assert "works well" in candidates(["Works well"], "en")


_WORDS = ["the", "is", "and", "of", "not", "no", "battery", "life", "great", "price", "very", "it", "5"]


@given(st.lists(st.sampled_from(_WORDS), min_size=0, max_size=12))
@hypothesis_settings(max_examples=200, deadline=None)
def test_every_candidate_starts_and_ends_on_a_content_word(words: list[str]) -> None:
    for phrase in candidates([" ".join(words)], "en"):
        tokens = phrase.split()
        assert 2 <= len(tokens) <= 5
        assert word_class(tokens[0], "en") != STOP or word_class(tokens[1], "en") == NEG
        assert word_class(tokens[-1], "en") not in (STOP, NEG)
        assert any(word_class(t, "en") not in (STOP, NEG) and not t.isdigit() for t in tokens)
        if len(tokens) == 5:  # some occurrence the cap did not cut inside a run of words
            starts = [i for i in range(len(words) - 4) if " ".join(words[i : i + 5]) == phrase]
            assert any(
                all(word_class(words[k], "en") != CONTENT for k in (i - 1, i + 5) if 0 <= k < len(words))
                for i in starts
            )


def test_stopword_lists_come_from_yake_for_each_language() -> None:
    assert {"the", "and"} <= stopwords("en")
    assert {"el", "de", "que"} <= stopwords("es")
    assert {"o", "de", "que", "nao"} - {"nao"} <= stopwords("pt")  # "nao" is a negator, not a stopword
    assert "buena" not in stopwords("es") and "bom" not in stopwords("pt")
    with pytest.raises(ConfigError):
        stopwords("fr")


def test_near_duplicate_keys_merge_order_plurals_and_negation_forms() -> None:
    assert phrase_key("fast shipping", "en") == phrase_key("shipping was fast", "en")
    assert phrase_key("great gift", "en") == phrase_key("great gifts", "en")
    assert phrase_key("doesn't work", "en") == phrase_key("did not work", "en")
    assert phrase_key("producto", "es") == phrase_key("productos", "es")
    assert phrase_key("não funciona", "pt") == phrase_key("nao funciona", "pt")
    assert phrase_key("works well", "en") != phrase_key("doesn't work well", "en")
    assert phrase_key("fast shipping", "en") != phrase_key("slow shipping", "en")


# --- the mart ---------------------------------------------------------------------------------------------


def test_near_duplicates_merge_into_the_most_frequent_surface_form(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    for text in ["Fast shipping!"] * 3 + ["Shipping was fast."] * 2 + ["Very fast shipping, thanks"]:
        _review(con, "p1", text)
    for text in ["A great gift."] * 2 + ["Great gifts for kids"] * 3:
        _review(con, "p1", text)
    _review(con, "p1", "Fast shipping and the shipping was fast")  # one review using two variants
    build_keywords(con, settings, NIGHT)
    rows = _rows(con, "p1")
    shipping = _row(rows, "fast shipping")  # 3 + 1 + 1 reviews say "fast shipping", 2 + 1 "shipping was fast"
    assert set(shipping["variants"]) == {"fast shipping", "shipping was fast"}
    assert shipping["frequency"] == 7  # distinct reviews: the review with both variants counts once
    assert "shipping was fast" not in rows["phrase"].tolist()
    gifts = _row(rows, "great gifts")
    assert set(gifts["variants"]) == {"great gifts", "great gift"} and gifts["frequency"] == 5


def test_a_phrase_concentrated_in_one_product_is_more_distinctive(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    for product in ("pa", "pb", "pc"):
        for i in range(6):
            clean = product == "pa" and i < 4
            _review(con, product, ("Easy to clean. " if clean else "Sturdy handle. ") +
                    ("Great value." if i < 2 else "Nice color."))  # fmt: skip
    build_keywords(con, settings, NIGHT)
    rows = _rows(con, "pa")
    concentrated, spread = _row(rows, "easy to clean"), _row(rows, "great value")
    # "easy to clean": 4 of pa's 6 reviews, none elsewhere; "great value": 2 of 6 in every product
    assert concentrated["distinctiveness"] > 1.0
    assert abs(spread["distinctiveness"]) < 0.5
    assert concentrated["distinctiveness"] > spread["distinctiveness"]


def test_log_odds_is_zero_for_an_average_phrase_and_grows_with_concentration() -> None:
    prior = np.array([20.0, 20.0])
    z = log_odds_z(np.array([10.0, 18.0]), 100.0, np.array([10.0, 2.0]), 100.0, prior, 200.0, 500.0)
    assert abs(z[0]) < 1e-9 and z[1] > 2


def test_category_scope_is_contrasted_with_the_other_categories(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    for i in range(4):
        _review(con, f"k{i}", "Easy to clean. Great value.", category="kitchen")
        _review(con, f"g{i}", "Green leaves. Great value.", category="garden")
    build_keywords(con, settings, NIGHT)
    kitchen = _rows(con, "kitchen", scope="category")
    assert _row(kitchen, "easy to clean")["distinctiveness"] > 1.0
    assert abs(_row(kitchen, "great value")["distinctiveness"]) < 0.5


def test_praise_and_complaint_have_opposite_signs(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    for _ in range(3):
        _review(con, "p1", "Battery life is amazing", rating=5)
        _review(con, "p1", "Stopped working after a week", rating=1)
    smelly = [_review(con, "p1", "Strange smell", rating=3) for _ in range(2)]
    for rid in smelly:  # 3 stars say nothing; the sentiment model says negative
        con.execute(
            "insert into review_scores (kind, source, record_id, content_hash, model_version, language, "
            "sentiment, p_negative, p_neutral, p_positive, stars_pred, scored_night) "
            "values ('reviews', 'test', ?, ?, 'm1', 'en', 'negative', 0.9, 0.05, 0.05, 1.5, ?)",
            [rid, f"h-{rid}", NIGHT],
        )
    build_keywords(con, settings, NIGHT)
    rows = _rows(con, "p1")
    # the shorter "battery life" and "stopped working" are fragments used by the same reviews
    praise, complaint = _row(rows, "battery life is amazing"), _row(rows, "stopped working after a week")
    assert praise["praise_score"] > 0.5 and praise["polarity"] == "praise" and praise["praise_mentions"] == 3
    assert complaint["praise_score"] < -0.5 and complaint["polarity"] == "complaint"
    assert complaint["complaint_mentions"] == 3
    assert _row(rows, "strange smell")["praise_score"] < 0


def test_suspicious_reviews_are_left_out_and_the_rest_weighted_by_trust(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    for _ in range(3):
        _review(con, "p1", "Solid build, works as described")
    shaky = _review(con, "p1", "Solid build")
    _fake(con, shaky, 0.3)  # trusted, weight 0.7
    for _ in range(4):
        _fake(con, _review(con, "p1", "Amazing miracle gadget. Solid build"), 0.9)
    later = _review(con, "p1", "Works as described")
    _fake(con, later, 0.95, night=NIGHT + timedelta(days=1))  # flagged only after the night: still counted
    build_keywords(con, settings, NIGHT)
    rows = _rows(con, "p1")
    assert not rows["phrase"].str.contains("miracle").any()
    solid = _row(rows, "solid build")
    assert solid["frequency"] == 4 and solid["suspicious_mentions"] == 4
    assert solid["trust_weighted_frequency"] == pytest.approx(3.7)
    assert _row(rows, "works as described")["frequency"] == 4


def test_novelty_new_steady_and_the_period_boundaries(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    period = Period.ending(NIGHT, 28)
    assert period.start == NIGHT - timedelta(days=27) and period.previous_start == NIGHT - timedelta(days=55)
    for i in range(4):  # previous period: every review says "comfortable fit"
        _review(con, "p1", "Comfortable fit", day=period.previous_start + timedelta(days=i))
    for i in range(4):  # current period: every review says it too, and something new
        _review(con, "p1", "Comfortable fit. Runs small", day=period.start + timedelta(days=i))
    _review(
        con, "p1", "Runs small. Bright colors", day=NIGHT, first_seen=NIGHT + timedelta(days=1)
    )  # not yet loaded
    _review(con, "p1", "Bright colors", day=period.previous_start - timedelta(days=1))  # before both periods
    build_keywords(con, settings, NIGHT)
    rows = _rows(con, "p1")
    fit, small = _row(rows, "comfortable fit"), _row(rows, "runs small")
    assert fit["novelty"] == "steady" and fit["prev_frequency"] == 4 and fit["frequency"] == 4
    assert small["novelty"] == "new" and small["prev_frequency"] == 0 and small["frequency"] == 4
    assert "bright colors" not in rows["phrase"].tolist()
    assert (rows["period_start"].dt.date == period.start).all() and (
        rows["period_end"].dt.date == NIGHT
    ).all()


def test_novelty_labels_rising_and_falling_by_share_of_reviews() -> None:
    labels, trend = novelty(np.array([8, 1, 5, 3]), 10, np.array([2, 8, 5, 0]), 10, 1.5)
    assert labels.tolist() == ["rising", "falling", "steady", "new"]
    assert trend[0] > 0 > trend[1]


def test_mmr_drops_a_near_paraphrase_from_the_top_list() -> None:
    phrases = ["long battery life", "great battery life", "fast shipping"]
    keys = [frozenset(phrase_key(p, "en")) for p in phrases]
    picked = [i for i, _ in mmr([1.0, 0.95, 0.8], keys, phrases, top=2, lam=0.7)]
    assert picked == [0, 2]  # by relevance alone it would be [0, 1]
    assert [i for i, _ in mmr([1.0, 0.95, 0.8], keys, phrases, top=2, lam=1.0)] == [0, 1]


def test_mart_top_list_is_diversified(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    for text in ["Long battery life."] * 5 + ["Great battery life."] * 4 + ["Fast shipping."] * 3:
        _review(con, "p1", text)
    build_keywords(con, settings, NIGHT, KeywordConfig(top_per_scope=2, mmr_lambda=1.0))
    assert _rows(con, "p1")["phrase"].tolist() == ["battery life", "long battery life"]
    build_keywords(con, settings, NIGHT, KeywordConfig(top_per_scope=2))
    assert _rows(con, "p1")["phrase"].tolist() == ["battery life", "fast shipping"]


def test_fragments_of_an_equally_used_longer_phrase_are_dropped(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    for _ in range(3):
        _review(con, "p1", "The battery life is long")
    for _ in range(2):
        _review(con, "p1", "Battery life ok")
    build_keywords(con, settings, NIGHT)
    phrases = _rows(con, "p1")["phrase"].tolist()
    assert "battery life is long" in phrases and "life is long" not in phrases  # same 3 reviews
    assert "battery life" in phrases  # used by 5 reviews, the longer phrase by 3


def test_languages_are_mined_apart(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    for _ in range(2):
        _review(con, "p1", "Muy buena calidad", language="es")
        _review(con, "p1", "Não funciona!", language="pt")
        _review(con, "p1", "Great quality", language="en")
    assert build_keywords(con, settings, NIGHT) > 0
    rows = _rows(con, "p1")
    assert set(zip(rows["language"], rows["phrase"], strict=True)) >= {
        ("es", "buena calidad"), ("pt", "não funciona"), ("en", "great quality"),
    }  # fmt: skip


def test_empty_warehouse_builds_an_empty_mart(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    assert build_keywords(con, settings, NIGHT) == 0
    assert con.execute("select count(*) from mart_keywords").fetchone() == (0,)
    columns = {r[0] for r in con.execute("describe mart_keywords").fetchall()}
    required = {"scope", "scope_id", "language", "phrase", "variants", "frequency", "reviewers",
                "distinctiveness", "praise_score", "trust_weighted_frequency", "novelty", "rank",
                "period_start", "period_end"}  # fmt: skip
    assert required <= columns


# --- reading, exports, listing gaps -----------------------------------------------------------------------


def _two_products(con: duckdb.DuckDBPyConnection) -> None:
    for _ in range(3):
        _review(con, "p1", "Battery life is long. Fast shipping")
        _review(con, "p1", "Easy to clean and the battery life is great")
        _review(con, "odd/id x", "Muy buena calidad", language="es")


def test_export_writes_one_csv_per_scope_and_language(
    con: duckdb.DuckDBPyConnection, settings: Settings, tmp_path: Path
) -> None:
    _two_products(con)
    build_keywords(con, settings, NIGHT)
    stale = tmp_path / "keywords" / "product" / "gone.en.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    paths = export_keywords(con, tmp_path, NIGHT)
    root = tmp_path / "keywords"
    odd = root / "product" / f"{safe_name('odd/id x')}.es.csv"
    assert set(paths) == {root / "product" / "p1.en.csv", odd, root / "category" / "kitchen.en.csv",
                          root / "category" / "kitchen.es.csv"}  # fmt: skip
    assert not stale.exists()
    assert "/" not in odd.name and " " not in odd.name and safe_name("odd/id x") != safe_name("odd_id_x")
    p1 = pd.read_csv(root / "product" / "p1.en.csv")
    assert p1["phrase"].tolist() == _rows(con, "p1")["phrase"].tolist() and p1["rank"].is_monotonic_increasing
    assert set(p1["scope_id"]) == {"p1"} and set(p1["language"]) == {"en"}
    assert pd.read_csv(odd)["phrase"].tolist() == ["buena calidad"]


def test_export_refuses_a_missing_mart_or_another_night(
    con: duckdb.DuckDBPyConnection, settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(ReviewPulseError, match="not been built"):
        export_keywords(con, tmp_path, NIGHT)
    _two_products(con)
    build_keywords(con, settings, NIGHT)
    with pytest.raises(ReviewPulseError, match="holds the night"):
        export_keywords(con, tmp_path, NIGHT - timedelta(days=1))


def test_listing_gaps_are_the_phrases_the_listing_lacks(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    _two_products(con)
    build_keywords(con, settings, NIGHT)
    said = set(_rows(con, "p1")["phrase"])
    assert {"battery life", "fast shipping", "easy to clean"} <= said
    gaps = listing_gaps(con, "p1", "Cordless kettle. Shipping is FAST; easy to clean!")
    missing = set(gaps["phrase"])
    assert "battery life" in missing
    assert "fast shipping" not in missing and "easy to clean" not in missing
    assert listing_gaps(con, "p1", "Great battery life, fast shipping", language="es").empty


def test_listing_gaps_and_reading_reject_bad_input(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    _two_products(con)
    build_keywords(con, settings, NIGHT)
    with pytest.raises(ReviewPulseError, match="empty"):
        listing_gaps(con, "p1", "   \n")
    with pytest.raises(ReviewPulseError, match="unknown product 'nope'"):
        listing_gaps(con, "nope", "Some listing")
    with pytest.raises(ReviewPulseError, match="unknown category"):
        top_keywords(con, settings, "category", "toys")
    with pytest.raises(ConfigError, match="unsupported language"):
        top_keywords(con, settings, "product", "p1", language="fr")


def test_top_keywords_reads_the_mart_or_computes_another_night(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    _two_products(con)
    build_keywords(con, settings, NIGHT)
    stored = top_keywords(con, settings, "product", "p1", top=2)
    assert stored["rank"].tolist() == [1, 2] and (stored["night"] == NIGHT).all()
    # 40 days later these reviews fall in the previous period: nothing is current for p1
    later = top_keywords(con, settings, "product", "p1", night=NIGHT + timedelta(days=40))
    assert later.empty
    same = compute_keywords(con, settings, NIGHT)
    assert same[same["scope_id"] == "p1"]["phrase"].tolist() == _rows(con, "p1")["phrase"].tolist()


def test_a_rebuild_of_the_same_night_gives_the_same_mart(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    _two_products(con)
    build_keywords(con, settings, NIGHT)
    first = con.execute("select * from mart_keywords").df()
    build_keywords(con, settings, NIGHT)
    pd.testing.assert_frame_equal(first, con.execute("select * from mart_keywords").df())


# --- CLI --------------------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("REVIEWPULSE_HOME", str(home))
    monkeypatch.setattr(cli, "console", Console(width=250))
    monkeypatch.setattr(cli, "err", Console(width=250, stderr=True))
    settings = Settings(home=home, progress=False)
    con = connect(settings)
    _two_products(con)
    build_keywords(con, settings, NIGHT)
    con.close()
    return home


def test_cli_prints_keywords_and_listing_gaps(home: Path, tmp_path: Path) -> None:
    listing = tmp_path / "listing.txt"
    listing.write_text("Fast shipping. Easy to clean.", encoding="utf-8")
    result = runner.invoke(cli.app, ["keywords", "--product", "p1", "--listing", str(listing), "--top", "5"])
    assert result.exit_code == 0, result.output
    assert "battery life" in result.output and "lacks" in result.output
    gaps = result.output.split("lacks")[1]
    assert "battery life" in gaps and "fast shipping" not in gaps


def test_cli_bad_input_is_a_one_line_error(home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    for args, message in (
        (["--product", "nope"], "unknown product 'nope'"),
        (["--product", "p1", "--listing", str(empty)], "is empty"),
        (["--product", "p1", "--listing", str(tmp_path / "missing.txt")], "not found"),
        (["--product", "p1", "--date", "yesterday"], "night must be a date"),
        (["--product", "p1", "--date", "0001-01-01"], "between 1970-01-01 and"),
        ([], "--product or --category"),
    ):
        result = runner.invoke(cli.app, ["keywords", *args])
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output and "Traceback" not in result.output
    # an unknown category is found before the product's table is printed, not after it
    result = runner.invoke(cli.app, ["keywords", "--product", "p1", "--category", "nope"])
    assert result.exit_code == 1 and "nope" in result.output and "battery life" not in result.output


def test_cli_says_so_when_the_listing_lacks_nothing(home: Path, tmp_path: Path) -> None:
    full = runner.invoke(cli.app, ["keywords", "--product", "p1", "--top", "200"])
    listing = tmp_path / "listing.txt"
    listing.write_text(full.output, encoding="utf-8")  # every phrase shown, so the listing has them all
    result = runner.invoke(cli.app, ["keywords", "--product", "p1", "--listing", str(listing)])
    assert result.exit_code == 0, result.output
    assert "already uses every phrase" in result.output and "lacks" not in result.output
