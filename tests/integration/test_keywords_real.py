"""Keyword phrases on ~3,000 real reviews (MARC es, Amazon.com.br pt, Amazon 2023 Sports en)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline.keywords import build_keywords, export_keywords, listing_gaps
from pipeline.keywords.phrases import NEG, STOP, word_class
from pipeline.settings import Settings
from pipeline.warehouse import connect

pytestmark = pytest.mark.integration

NIGHT = date(2026, 11, 20)
PER_LANGUAGE = 1000
# Phrases any shopper would recognise; each sample (fixed seed) has several of them among its top 50.
EXPECTED = {
    "en": {"works great", "great product", "easy to use", "highly recommend", "well made", "good quality"},
    "es": {
        "buena calidad",
        "buen producto",
        "calidad precio",
        "no funciona",
        "mala calidad",
        "funciona bien",
    },
    "pt": {
        "não funciona",
        "não recomendo",
        "custo benefício",
        "boa qualidade",
        "ótimo produto",
        "não gostei",
    },
}


def _sample(path: Path) -> pd.DataFrame:
    return pd.read_csv(path).sample(PER_LANGUAGE, random_state=0).reset_index(drop=True)


def _frames(data: Path) -> pd.DataFrame:
    es = _sample(data / "sentiment" / "marc_es.csv")
    es = es.rename(
        columns={
            "product_category": "category",
            "reviewer_id": "reviewer_key",
            "stars": "rating",
            "review_title": "title",
            "review_body": "text",
        }
    )
    pt = _sample(data / "sentiment" / "amazon_br_pt.csv")
    pt = pt.rename(columns={"categoria": "category"}).assign(
        review_id=[f"pt{i}" for i in range(len(pt))],
        # no product ids in this set: ten made-up products per category, so product scopes have reviews
        product_id=[f"{c}-{i % 10}" for i, c in enumerate(pt["categoria"])],
        reviewer_key=[f"pt-u{i}" for i in range(len(pt))],
        rating=pt["label"] + 1,
        title="",
        language="pt",
    )
    en = _sample(data / "marketplace" / "amazon2023_sports_sample.csv")
    en = en.rename(columns={"parent_asin": "product_id", "user_id": "reviewer_key"}).assign(
        review_id=[f"en{i}" for i in range(len(en))],
        category="sports",
        rating=en["rating"].astype(int),
        language="en",
    )
    columns = ["review_id", "product_id", "category", "reviewer_key", "rating", "title", "text", "language"]
    frame = pd.concat([es[columns], pt[columns], en[columns]], ignore_index=True)
    frame["text"] = frame["text"].fillna("").astype(str)
    frame = frame[frame["text"].str.strip() != ""].reset_index(drop=True)
    # spread over both periods (56 days up to the night)
    frame["review_date"] = [NIGHT - timedelta(days=i % 56) for i in range(len(frame))]
    return frame


@pytest.fixture(scope="module")
def warehouse(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[duckdb.DuckDBPyConnection, float]]:
    settings = Settings(home=tmp_path_factory.mktemp("home"), progress=False)
    con = connect(settings)
    con.register("real_reviews", _frames(shared_data))
    con.execute(
        "insert into reviews (review_id, source, product_id, category, reviewer_key, rating, title, text, "
        "language, review_date, content_hash, first_seen, last_seen, ingest_run_id) "
        "select review_id, 'real', product_id, category, reviewer_key, rating, title, text, language, "
        "review_date, md5(text), review_date, review_date, 'real' from real_reviews"
    )
    con.unregister("real_reviews")
    started = time.perf_counter()
    build_keywords(con, settings, NIGHT)
    yield con, time.perf_counter() - started
    con.close()


def test_building_the_mart_on_3000_reviews_is_quick(
    warehouse: tuple[duckdb.DuckDBPyConnection, float],
) -> None:
    _, seconds = warehouse
    assert seconds < 60, seconds  # about 3 s on the 2-core development machine


@pytest.mark.parametrize("language", ["en", "es", "pt"])
def test_top_phrases_are_real_multi_word_phrases(
    warehouse: tuple[duckdb.DuckDBPyConnection, float], language: str
) -> None:
    con, _ = warehouse
    top = con.execute(
        "select phrase, frequency, reviewers from mart_keywords "
        "where scope = 'category' and language = ? and rank <= 50",
        [language],
    ).df()
    assert len(top) >= 30, top
    for phrase in top["phrase"]:
        words = phrase.split()
        assert 2 <= len(words) <= 5, phrase
        assert word_class(words[-1], language) not in (STOP, NEG), phrase
        assert sum(word_class(w, language) not in (STOP, NEG) for w in words) >= 1, phrase
    assert (top["frequency"] >= 2).all() and (top["reviewers"] >= 2).all()
    found = EXPECTED[language] & set(top["phrase"])
    assert len(found) >= 3, (language, sorted(top["phrase"]))


def test_products_get_phrases_exports_and_listing_gaps(
    warehouse: tuple[duckdb.DuckDBPyConnection, float], tmp_path: Path
) -> None:
    con, _ = warehouse
    products = con.execute(
        "select scope_id, count(*) from mart_keywords where scope = 'product' group by 1 order by 2 desc, 1"
    ).fetchall()
    assert products, "no product scope has phrases"
    product = products[0][0]
    phrases = con.execute(
        "select phrase from mart_keywords where scope = 'product' and scope_id = ? order by language, rank",
        [product],
    ).fetchall()
    listing = f"{phrases[0][0]}."  # the listing says the top phrase and nothing else
    gaps = listing_gaps(con, product, listing)
    assert phrases[0][0] not in set(gaps["phrase"])
    assert set(gaps["phrase"]) <= {p for (p,) in phrases}
    assert len(gaps) >= min(len(phrases) - 1, 1)
    paths = export_keywords(con, tmp_path, NIGHT)
    assert any(p.parent.name == "product" for p in paths) and any(p.parent.name == "category" for p in paths)
    assert (
        sum(len(pd.read_csv(p)) for p in paths)
        == con.execute("select count(*) from mart_keywords").fetchone()[0]
    )
