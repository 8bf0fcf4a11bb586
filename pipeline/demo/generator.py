"""Seeded demo exports: nights of en/es/pt product reviews and seller feedback, with planted patterns.

``generate_demo`` writes, for each night, the files a marketplace or shop would drop in the landing zone::

    <landing>/reviews/generic_csv/<night>/reviews.csv
    <landing>/reviews/generic_jsonl/<night>/reviews.jsonl
    <landing>/reviews/generic_parquet/<night>/reviews.parquet
    <landing>/reviews/judgeme/<night>/judgeme_reviews.csv
    <landing>/seller_feedback/amazon_seller_central/<night>/<seller_id>.txt
    <landing>/seller_feedback/generic_csv/<night>/feedback.csv
    <landing>/survey_responses/generic_csv/<night>/surveys.csv

and a JSON truth file listing what it planted: a delivery complaint spike for one seller, a fake-review
ring, mixed-sentiment products, an edited review, malformed records and tricky-but-valid texts.
The same seed and arguments always give byte-identical files: no wall-clock time, fixed ordering.
Survey responses (NPS / CES / CSAT with an optional comment) draw from their own random stream, derived
from the seed, so adding them left every review and feedback file exactly as it was.
The catalog, customer names and the en/es/pt sentences come from ``phrases.yaml`` next to this module.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import string
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from pipeline.sources.registry import GENERIC_REVIEW_COLUMNS, GENERIC_SURVEY_COLUMNS

__all__ = ["DemoManifest", "generate_demo"]

LANGUAGES = ("en", "es", "pt")
REVIEW_SOURCES = ("generic_csv", "generic_jsonl", "generic_parquet", "judgeme")
GENERIC_REVIEW_SOURCES = ("generic_csv", "generic_jsonl", "generic_parquet")
FEEDBACK_SOURCES = ("amazon_seller_central", "generic_csv")
CHANNELS = ("web", "app", "marketplace", "shopify")
AMAZON = "amazon_seller_central"
SPIKE_SELLER = "seller-03"
BACKFILL_DAYS = 42
SPIKE_NIGHTS = 5

_LANGUAGE_WEIGHTS = (0.45, 0.30, 0.25)
_CHANNEL_WEIGHTS = (0.35, 0.25, 0.25, 0.15)
_REVIEW_SOURCE_WEIGHTS = (0.30, 0.25, 0.25, 0.20)
_FEEDBACK_SOURCE_WEIGHTS = (0.55, 0.45)
_SELLER_IDS = tuple(f"seller-{i:02d}" for i in range(1, 9))
_WEEKDAY_FACTOR = (1.0, 0.95, 0.95, 1.0, 1.1, 1.3, 1.25)
_SURVEY_CHANNEL_WEIGHTS = (0.40, 0.30, 0.20, 0.10)
SURVEY_SPIKE_CHANNEL = "marketplace"
"""During the delivery spike, marketplace respondents complain about late orders."""
_UNDECODABLE = "@@UNDECODABLE@@"
_UNDECODABLE_BYTES = b"\xff\xfe"

JUDGEME_COLUMNS = (
    "title",
    "body",
    "rating",
    "review_date",
    "source",
    "curated",
    "reviewer_name",
    "reviewer_email",
    "product_id",
    "product_handle",
    "reply",
    "reply_date",
    "picture_urls",
    "ip_address",
    "location",
)
AMAZON_COLUMNS = (
    "Date",
    "Rating",
    "Comments",
    "Your Response",
    "Order ID",
    "Rater Email",
    "Arrived on time",
    "Item as described",
    "Customer service",
)
GENERIC_FEEDBACK_COLUMNS = (
    "feedback_id",
    "seller_id",
    "order_id",
    "reviewer_id",
    "rating",
    "comment",
    "feedback_date",
    "channel",
    "language",
    "arrived_on_time",
    "item_as_described",
    "service_ok",
)
_PARQUET_SCHEMA = pa.schema(
    [(c, pa.int64() if c in ("rating", "helpful_votes") else pa.string()) for c in GENERIC_REVIEW_COLUMNS]
).set(GENERIC_REVIEW_COLUMNS.index("verified_purchase"), pa.field("verified_purchase", pa.bool_()))

_FILE_NAMES = {
    ("reviews", "generic_csv"): "reviews.csv",
    ("reviews", "generic_jsonl"): "reviews.jsonl",
    ("reviews", "generic_parquet"): "reviews.parquet",
    ("reviews", "judgeme"): "judgeme_reviews.csv",
    ("seller_feedback", "generic_csv"): "feedback.csv",
    ("survey_responses", "generic_csv"): "surveys.csv",
}
# Which column holds the id, text, rating and date in each (kind, source).
_FIELDS = {
    ("reviews", "generic_csv"): ("review_id", "text", "rating", "review_date"),
    ("reviews", "generic_jsonl"): ("review_id", "text", "rating", "review_date"),
    ("reviews", "generic_parquet"): ("review_id", "text", "rating", "review_date"),
    ("reviews", "judgeme"): ("", "body", "rating", "review_date"),
    ("seller_feedback", AMAZON): ("Order ID", "Comments", "Rating", "Date"),
    ("seller_feedback", "generic_csv"): ("feedback_id", "comment", "rating", "feedback_date"),
    ("survey_responses", "generic_csv"): ("response_id", "comment", "csat", "response_date"),
}
_BAD_RATINGS: dict[str, tuple[Any, ...]] = {
    "generic_csv": ("five", "7", "0", "10"),
    "generic_jsonl": (7, "five", 0, 11),
    "generic_parquet": (0, 7, 9),
    "judgeme": ("0", "five", "7"),
    AMAZON: ("0", "6", "five"),
}
_BAD_DATES = {
    "iso": ("not a date", "2026-13-45", "yesterday", "31/02/20xx"),
    "judgeme": ("2026-13-45 25:61:00 UTC", "sometime last week", "32/13/2026 10:00"),
    AMAZON: ("13/45/26", "unknown", "00/00/00"),
}
# (kind, source, reason): shuffled, then dealt round-robin over the malformed nights (odd-numbered nights).
_MALFORMED_PLAN = (
    ("reviews", "generic_csv", "bad_rating"),
    ("reviews", "generic_jsonl", "broken_json"),
    ("reviews", "generic_parquet", "missing_id"),
    ("reviews", "judgeme", "empty_text"),
    ("seller_feedback", AMAZON, "bad_date"),
    ("seller_feedback", "generic_csv", "duplicate_id"),
    ("reviews", "generic_csv", "undecodable"),
    ("reviews", "generic_jsonl", "bad_rating"),
    ("reviews", "generic_parquet", "bad_date"),
    ("reviews", "judgeme", "bad_rating"),
    ("seller_feedback", AMAZON, "undecodable"),
    ("seller_feedback", "generic_csv", "bad_date"),
    ("reviews", "generic_csv", "duplicate_id"),
    ("reviews", "generic_jsonl", "missing_id"),
    ("reviews", "generic_parquet", "empty_text"),
    ("reviews", "judgeme", "bad_date"),
    ("seller_feedback", AMAZON, "bad_rating"),
    ("seller_feedback", "generic_csv", "missing_id"),
    ("reviews", "generic_csv", "empty_text"),
    ("reviews", "generic_jsonl", "duplicate_id"),
    ("reviews", "generic_parquet", "duplicate_id"),
    ("seller_feedback", "generic_csv", "bad_rating"),
    ("reviews", "generic_csv", "missing_id"),
    ("reviews", "generic_jsonl", "broken_json"),
    ("reviews", "judgeme", "undecodable"),
    ("seller_feedback", AMAZON, "missing_id"),
    ("seller_feedback", "generic_csv", "undecodable"),
)

# ---------------------------------------------------------------------------------------------------------
# Catalog, customers and text: the data lives in phrases.yaml, next to this module
# ---------------------------------------------------------------------------------------------------------

_WARRANTY_FACTOR = {"electronics": 1.0, "home": 0.7, "fashion": 0.0, "beauty": 0.15, "sports": 0.2}
_POOL_SIZES = {"en": 520, "es": 350, "pt": 290}
_RING_SIZE = 6
_IP_PREFIXES = ("192.0.2", "198.51.100", "203.0.113")

# touchpoint (or category) -> (positive sentences, negative sentences)
_Bank = dict[str, tuple[tuple[str, ...], tuple[str, ...]]]


def _load_data() -> dict[str, Any]:
    """The parsed ``phrases.yaml``: catalog, names, locations, phrase banks, ring templates, edge texts."""
    text = resources.files("pipeline.demo").joinpath("phrases.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _bank(section: dict[str, Any]) -> _Bank:
    """``{key: {positive: [...], negative: [...]}}`` as ``{key: (positive, negative)}``."""
    return {key: (tuple(sides["positive"]), tuple(sides["negative"])) for key, sides in section.items()}


def _edge(entry: dict[str, Any]) -> tuple[str, str, int, str]:
    """An edge-case entry as ``(feature, language, rating, text)``."""
    return entry["feature"], entry["language"], int(entry["rating"]), entry["text"]


_DATA = _load_data()

# category -> ((title, sized), ...); sized: whether size/fit is something buyers talk about
_CATALOG: dict[str, tuple[tuple[str, bool], ...]] = {
    category: tuple((p["title"], bool(p["sized"])) for p in products)
    for category, products in _DATA["catalog"].items()
}
# language -> (first names, last names)
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    lang: (tuple(names["first"]), tuple(names["last"])) for lang, names in _DATA["names"].items()
}
_LOCATIONS: dict[str, tuple[str, ...]] = {lang: tuple(places) for lang, places in _DATA["locations"].items()}
# language -> touchpoint -> (positive, negative)
_FRAGMENTS: dict[str, _Bank] = {lang: _bank(bank) for lang, bank in _DATA["touchpoints"].items()}
# Category-specific quality sentences: language -> category -> (positive, negative).
_CATEGORY_QUALITY: dict[str, _Bank] = {lang: _bank(bank) for lang, bank in _DATA["category_quality"].items()}
# language -> phrase kind (openers, closers, titles, lead-ins, replies, ...) -> phrases
_PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    lang: {kind: tuple(items) for kind, items in bank.items()} for lang, bank in _DATA["phrases"].items()
}
_RING_SENTENCES: tuple[str, ...] = tuple(_DATA["ring"]["sentences"])
_RING_SWAPS: dict[str, tuple[str, ...]] = {word: tuple(alts) for word, alts in _DATA["ring"]["swaps"].items()}
_RING_TITLES: tuple[str, ...] = tuple(_DATA["ring"]["titles"])
# Valid rows whose text must survive verbatim: (feature, language, rating, text).
_EDGE_REVIEWS = tuple(_edge(entry) for entry in _DATA["edge_reviews"])
_EDGE_FEEDBACK = _edge(_DATA["edge_feedback"])

# ---------------------------------------------------------------------------------------------------------
# Touchpoint weights: how often each touchpoint comes up in praise and in complaints
# ---------------------------------------------------------------------------------------------------------

_REVIEW_POS_WEIGHTS = {
    "quality": 4.0,
    "price_value": 2.0,
    "delivery_speed": 2.0,
    "packaging": 1.0,
    "shipping_cost": 0.6,
    "product_info": 1.0,
    "customer_service": 0.8,
    "returns_refunds": 0.3,
    "wrong_item": 0.3,
    "checkout_payment": 0.4,
    "warranty": 0.6,
    "size_fit": 2.0,
}
_REVIEW_NEG_WEIGHTS = {
    "quality": 3.0,
    "price_value": 1.2,
    "delivery_speed": 1.5,
    "packaging": 1.0,
    "shipping_cost": 0.8,
    "product_info": 1.2,
    "customer_service": 1.0,
    "returns_refunds": 1.0,
    "wrong_item": 0.8,
    "checkout_payment": 0.5,
    "warranty": 0.8,
    "size_fit": 2.0,
}
_FEEDBACK_POS_WEIGHTS = {
    "delivery_speed": 3.0,
    "packaging": 1.0,
    "product_info": 1.2,
    "customer_service": 1.0,
    "shipping_cost": 0.5,
    "wrong_item": 0.3,
}
_FEEDBACK_NEG_WEIGHTS = {
    "delivery_speed": 2.0,
    "packaging": 0.8,
    "wrong_item": 1.0,
    "product_info": 1.0,
    "customer_service": 1.2,
    "shipping_cost": 0.6,
    "returns_refunds": 0.8,
}
_MIXED_ASPECTS = (("quality", "delivery_speed"), ("price_value", "size_fit"), ("delivery_speed", "quality"))
# What post-purchase survey comments talk about: the journey, rarely the product itself
_SURVEY_POS_WEIGHTS = {
    "delivery_speed": 3.0,
    "customer_service": 2.0,
    "checkout_payment": 1.5,
    "packaging": 1.0,
    "product_info": 1.0,
    "returns_refunds": 0.6,
    "shipping_cost": 0.6,
}
_SURVEY_NEG_WEIGHTS = {
    "delivery_speed": 2.5,
    "customer_service": 2.0,
    "checkout_payment": 1.2,
    "returns_refunds": 1.2,
    "shipping_cost": 1.0,
    "wrong_item": 0.8,
    "packaging": 0.6,
    "product_info": 0.8,
}
# CSAT answer -> (NPS range, CES range): the three answers of one respondent agree with each other
_SURVEY_ANSWERS = {5: ((8, 10), (1, 2)), 4: ((7, 9), (2, 3)), 3: ((5, 7), (3, 5)), 2: ((2, 6), (4, 6)),
                   1: ((0, 4), (5, 7))}  # fmt: skip
# Share of respondents who skip each question, and who leave a comment
_SURVEY_SKIP = {"nps": 0.06, "ces": 0.25, "csat": 0.12}
_SURVEY_COMMENT_SHARE = 0.7
_SURVEY_GOODNESS = 0.88  # how the CSAT answers lean (as a product's goodness leans its stars): NPS about +25
# Malformed survey records, one set per malformed night: (reason, column, bad value)
_SURVEY_MALFORMED = (
    ("bad_nps", "nps", ("11", "ten", "7.5", "-1")),
    ("bad_ces", "ces", ("0", "8", "easy")),
    ("bad_csat", "csat", ("6", "0", "4.5")),
    ("no_score", "", ("",)),
)


# ---------------------------------------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoManifest:
    """What ``generate_demo`` wrote: the nights, every file, the truth file and row counts."""

    nights: list[str]
    files: list[Path]
    truth_path: Path
    review_rows: int
    feedback_rows: int
    malformed_rows: int
    survey_rows: int = 0


@dataclass(frozen=True)
class _Product:
    product_id: str
    title: str
    category: str
    seller_id: str
    handle: str
    sized: bool
    goodness: float


@dataclass(frozen=True)
class _Customer:
    customer_id: str
    language: str
    name: str
    email: str
    rater_email: str
    location: str
    ip: str


@dataclass(frozen=True)
class _Review:
    review_id: str
    product: _Product
    customer: _Customer
    rating: int
    title: str
    text: str
    when: datetime
    channel: str
    verified: bool
    helpful: int
    source: str
    tag: str = ""
    feature: str = ""
    reply: str = ""
    reply_when: datetime | None = None
    pictures: str = ""
    origin: str = "web"


@dataclass(frozen=True)
class _Feedback:
    feedback_id: str
    order_id: str
    seller_id: str
    customer: _Customer
    rating: int
    comment: str
    when: datetime
    channel: str
    source: str
    flags: tuple[str, str, str]
    response: str = ""
    tag: str = ""
    feature: str = ""


@dataclass(frozen=True)
class _Survey:
    response_id: str
    channel: str
    language: str
    when: datetime
    nps: int | None
    ces: int | None
    csat: int | None
    comment: str
    tag: str = ""


@dataclass
class _Record:
    """One data record of a file, before it is written."""

    values: dict[str, Any]
    key: tuple[str, str]
    tag: str = ""
    feature: str = ""
    reason: str = ""
    raw: str | None = None


@dataclass
class _File:
    kind: str
    source: str
    rel: str
    seller: str = ""
    records: list[_Record] = field(default_factory=list)


@dataclass(frozen=True)
class _Plan:
    """Where and when the patterns are planted."""

    start: date
    nights: tuple[date, ...]
    spike_dates: tuple[date, ...]
    burst: tuple[date, date]
    mixed: dict[str, tuple[str, str]]
    ring_targets: tuple[str, ...]
    ring_posts: tuple[tuple[str, str, date], ...]
    malformed_nights: tuple[int, ...]
    malformed_plan: tuple[tuple[str, str, str], ...]
    edit_night: int | None


@dataclass
class _World:
    """Shared state of one run: the random stream, catalog, customers, plan and id counters."""

    rng: random.Random
    products: tuple[_Product, ...]
    customers: dict[str, tuple[_Customer, ...]]
    cum_weights: dict[str, list[float]]
    ring: tuple[_Customer, ...]
    seller_goodness: dict[str, float]
    plan: _Plan
    review_no: int = 0
    feedback_no: int = 0
    orders: set[str] = field(default_factory=set)

    def next_review_id(self) -> str:
        """The next review id, ``rv-000001`` onwards."""
        self.review_no += 1
        return f"rv-{self.review_no:06d}"

    def next_feedback_id(self) -> str:
        """The next feedback id, ``fb-000001`` onwards."""
        self.feedback_no += 1
        return f"fb-{self.feedback_no:06d}"

    def plain_products(self) -> list[_Product]:
        """Products carrying no planted pattern."""
        planted = set(self.plan.mixed) | set(self.plan.ring_targets)
        return [p for p in self.products if p.seller_id != SPIKE_SELLER and p.product_id not in planted]


@dataclass
class _Outcome:
    """What the writers produced, for the manifest and the truth file."""

    files: list[Path] = field(default_factory=list)
    rels: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, dict[str, dict[str, int]]]] = field(default_factory=dict)
    malformed: list[dict[str, Any]] = field(default_factory=list)
    edge: list[dict[str, Any]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------------------------


def generate_demo(
    landing_dir: Path, truth_path: Path, *, start: date, nights: int = 7, seed: int = 42
) -> DemoManifest:
    """Write ``nights`` nights of seeded demo exports under ``landing_dir`` and the planted truth as JSON.

    Args:
        landing_dir: root of the landing zone; files go to ``<kind>/<source>/<YYYY-MM-DD>/``.
        truth_path: where to write the JSON description of every planted pattern.
        start: the first night; nights are consecutive days from here. The first night also carries
            six weeks of older reviews and feedback (a backfill) so weekly trends exist.
        nights: how many nights to write (at least 1).
        seed: the random seed; the same seed and arguments give byte-identical files.

    Returns:
        A ``DemoManifest`` listing the nights, the files written and the row counts.
    """
    if nights < 1:
        raise ValueError(f"nights must be at least 1, got {nights}")
    world = _build_world(random.Random(seed), start, nights)
    reviews = _generate_reviews(world)
    feedback = _generate_feedback(world)
    reviews, edit = _plan_edit(world, reviews)
    survey_rng = random.Random(f"reviewpulse-surveys-{seed}")  # never the shared stream: see the docstring
    surveys = _generate_surveys(survey_rng, world.plan)
    outcome = _write_nights(world, Path(landing_dir), reviews, feedback, edit, (survey_rng, surveys))
    truth = _truth(world, seed, reviews, feedback, edit, outcome, surveys)
    truth_path = Path(truth_path)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(truth, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    truth_path.write_text(text, encoding="utf-8")
    totals = truth["totals"]
    return DemoManifest(
        nights=[d.isoformat() for d in world.plan.nights],
        files=sorted(outcome.files),
        truth_path=truth_path,
        review_rows=totals["reviews"]["rows"],
        feedback_rows=totals["seller_feedback"]["rows"],
        malformed_rows=sum(t["malformed"] for t in totals.values()),
        survey_rows=totals["survey_responses"]["rows"],
    )


# ---------------------------------------------------------------------------------------------------------
# World: catalog, customers, plan
# ---------------------------------------------------------------------------------------------------------


def _build_world(rng: random.Random, start: date, nights: int) -> _World:
    """Draw the catalog, the customers and the plan of planted patterns."""
    products = _build_products(rng)
    customers, ring = _build_customers(rng)
    goodness = {s: round(rng.uniform(0.72, 0.93), 3) for s in _SELLER_IDS}
    cum = {lang: _zipf_cum(len(pool)) for lang, pool in customers.items()}
    plan = _build_plan(rng, start, nights, products, ring)
    return _World(rng, products, customers, cum, ring, goodness, plan)


def _slug(text: str) -> str:
    """``10,000 mAh Power Bank`` -> ``10-000-mah-power-bank``."""
    return re.sub(r"[^a-z0-9]+", "-", _ascii(text).lower()).strip("-")


def _ascii(text: str) -> str:
    """Drop accents: ``João`` -> ``Joao``."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _build_products(rng: random.Random) -> tuple[_Product, ...]:
    """Forty products in five categories, five per seller."""
    sellers = list(_SELLER_IDS) * 5
    rng.shuffle(sellers)
    entries = [(cat, title, sized) for cat, items in _CATALOG.items() for title, sized in items]
    return tuple(
        _Product(
            f"prod-{i:03d}",
            title,
            cat,
            sellers[i - 1],
            _slug(title),
            sized,
            round(rng.uniform(0.55, 0.93), 3),
        )
        for i, (cat, title, sized) in enumerate(entries, start=1)
    )


def _build_customers(rng: random.Random) -> tuple[dict[str, tuple[_Customer, ...]], tuple[_Customer, ...]]:
    """A pool of customers per language (fake names, e-mails, locations, IPs) and the ring's accounts."""
    total = sum(_POOL_SIZES.values()) + _RING_SIZE
    numbers = iter(rng.sample(range(10000, 100000), total))
    emails: set[str] = set()
    pools = {
        lang: tuple(_customer(rng, f"cust-{next(numbers)}", lang, emails) for _ in range(size))
        for lang, size in _POOL_SIZES.items()
    }
    ring = tuple(_customer(rng, f"cust-{next(numbers)}", "en", emails) for _ in range(_RING_SIZE))
    return pools, ring


def _customer(rng: random.Random, customer_id: str, lang: str, emails: set[str]) -> _Customer:
    """One fake customer with a unique example.com e-mail."""
    first, last = rng.choice(_NAMES[lang][0]), rng.choice(_NAMES[lang][1])
    email = ""
    while not email or email in emails:
        email = f"{_ascii(first).lower()}.{_ascii(last).lower()}{rng.randint(10, 99)}@example.com"
    emails.add(email)
    alphabet = string.ascii_lowercase + string.digits
    rater = "".join(rng.choice(alphabet) for _ in range(14)) + "@marketplace.example.com"
    ip = f"{rng.choice(_IP_PREFIXES)}.{rng.randint(1, 254)}"
    return _Customer(customer_id, lang, f"{first} {last}", email, rater, rng.choice(_LOCATIONS[lang]), ip)


def _zipf_cum(n: int) -> list[float]:
    """Cumulative weights so a few customers write many reviews and most write one or two."""
    total = 0.0
    out: list[float] = []
    for k in range(n):
        total += 1.0 / (k + 1) ** 0.6
        out.append(total)
    return out


def _build_plan(
    rng: random.Random, start: date, nights: int, products: Sequence[_Product], ring: Sequence[_Customer]
) -> _Plan:
    """Choose spike window, ring burst and targets, mixed products, malformed nights and the edit night."""
    days = tuple(start + timedelta(days=i) for i in range(nights))
    burst = _burst_dates(start, days)
    pool = [p for p in products if p.seller_id != SPIKE_SELLER]
    rng.shuffle(pool)
    sized = next(p for p in pool if p.sized)
    rest = [p for p in pool if p is not sized]
    mixed = {
        rest[0].product_id: _MIXED_ASPECTS[0],
        sized.product_id: _MIXED_ASPECTS[1],
        rest[1].product_id: _MIXED_ASPECTS[2],
    }
    targets = tuple(p.product_id for p in rest[2:5])
    others = [p.product_id for p in rest[5:]]
    all_days = _all_days(start, days)
    posts = [(c.customer_id, pid, rng.choice(burst)) for c in ring for pid in targets]
    posts += [(c.customer_id, rng.choice(others), rng.choice(all_days)) for c in ring]
    malformed = tuple(i for i in range(nights) if i % 2 == 1) or (0,)
    malformed_plan = list(_MALFORMED_PLAN)
    rng.shuffle(malformed_plan)
    return _Plan(
        start,
        days,
        days[max(0, nights - SPIKE_NIGHTS) :],
        burst,
        mixed,
        targets,
        tuple(posts),
        malformed,
        tuple(malformed_plan),
        min(3, nights - 1) if nights >= 2 else None,
    )


def _burst_dates(start: date, days: Sequence[date]) -> tuple[date, date]:
    """The ring's two-day burst: nights 2-3 (or the day before a single night, and that night)."""
    if len(days) < 2:
        return start - timedelta(days=1), start
    first = min(1, len(days) - 2)
    return days[first], days[first + 1]


def _all_days(start: date, nights: Sequence[date]) -> list[date]:
    """The backfill days before ``start`` followed by the nights."""
    return [start - timedelta(days=BACKFILL_DAYS - i) for i in range(BACKFILL_DAYS)] + list(nights)


# ---------------------------------------------------------------------------------------------------------
# Small random helpers
# ---------------------------------------------------------------------------------------------------------


def _pick(rng: random.Random, items: Sequence[Any], weights: Sequence[float]) -> Any:
    """One item drawn with the given weights."""
    return rng.choices(items, weights=weights)[0]


def _pick_language(rng: random.Random) -> str:
    return str(_pick(rng, LANGUAGES, _LANGUAGE_WEIGHTS))


def _pick_customer(w: _World, lang: str) -> _Customer:
    return w.rng.choices(w.customers[lang], cum_weights=w.cum_weights[lang])[0]


def _moment(rng: random.Random, day: date) -> datetime:
    """A time of day on ``day``, mostly during waking hours."""
    return datetime.combine(day, time(rng.randint(6, 23), rng.randint(0, 59), rng.randint(0, 59)))


def _draw_rating(rng: random.Random, goodness: float) -> int:
    """A star rating: J-shaped, better products get more fives."""
    weights = (0.55 * (1 - goodness), 0.45 * (1 - goodness), 0.12, 0.38 * goodness, 0.62 * goodness)
    return int(_pick(rng, (1, 2, 3, 4, 5), weights))


def _pick_touches(
    rng: random.Random, weights: dict[str, float], k: int, exclude: Sequence[str] = ()
) -> list[str]:
    """Up to ``k`` distinct touchpoints, each drawn with probability proportional to its weight."""
    pool = {t: wt for t, wt in weights.items() if wt > 0 and t not in exclude}
    picked: list[str] = []
    while pool and len(picked) < k:
        choice = rng.choices(list(pool), weights=list(pool.values()))[0]
        picked.append(choice)
        del pool[choice]
    return picked


def _touch_weights(product: _Product, positive: bool) -> dict[str, float]:
    """Touchpoint weights for a product: no size talk for unsized goods, warranty mostly for appliances."""
    weights = dict(_REVIEW_POS_WEIGHTS if positive else _REVIEW_NEG_WEIGHTS)
    weights["warranty"] *= _WARRANTY_FACTOR[product.category]
    if not product.sized:
        weights["size_fit"] = 0.0
    return weights


# ---------------------------------------------------------------------------------------------------------
# Text composition
# ---------------------------------------------------------------------------------------------------------


def _sentence(
    rng: random.Random,
    lang: str,
    touch: str,
    positive: bool,
    product: _Product | None,
    days: int | None = None,
) -> str:
    """One sentence about a touchpoint, in the given language and tone."""
    side = 0 if positive else 1
    if touch == "quality" and product is not None and rng.random() < 0.4:
        pool = _CATEGORY_QUALITY[lang][product.category][side]
    else:
        pool = _FRAGMENTS[lang][touch][side]
    if days is None:
        days = rng.randint(2, 4) if positive else rng.randint(7, 15)
    return rng.choice(pool).replace("{days}", str(days))


def _lower_first(text: str) -> str:
    """Lower-case the first letter so a sentence can follow a lead-in (English ``I`` stays)."""
    if text.startswith(("I ", "I'")):
        return text
    return text[:1].lower() + text[1:]


def _lead(rng: random.Random, leads: Sequence[str], sentence: str) -> str:
    """Prefix a sentence with a lead-in such as ``However,``."""
    return f"{rng.choice(leads)} {_lower_first(sentence)}"


def _tone(rating: int) -> str:
    return "pos" if rating >= 4 else "neu" if rating == 3 else "neg"


def _tone_mix(rng: random.Random, rating: int) -> tuple[int, int]:
    """How many positive and negative sentences a review with this rating gets."""
    if rating == 5:
        return rng.randint(1, 3), 0
    if rating == 4:
        return rng.randint(1, 2), int(rng.random() < 0.3)
    if rating == 3:
        return 1, 1
    if rating == 2:
        return int(rng.random() < 0.3), rng.randint(1, 2)
    return 0, rng.randint(1, 3)


def _arrange(rng: random.Random, lang: str, rating: int, good: list[str], bad: list[str]) -> str:
    """Order sentences by tone, add lead-ins, an opener and a closer."""
    ph = _PHRASES[lang]
    if rating >= 3:
        parts = good + [_lead(rng, ph["contrast"], s) if i == 0 else s for i, s in enumerate(bad)]
    else:
        parts = bad + [_lead(rng, ph["concede"], s) for s in good]
    tone = _tone(rating)
    if rng.random() < (0.5 if rating in (1, 5) else 0.3):
        parts.insert(0, rng.choice(ph[f"open_{tone}"]))
    if rng.random() < (0.4 if rating in (1, 5) else 0.25):
        parts.append(rng.choice(ph[f"close_{tone}"]))
    return " ".join(parts)


def _title(rng: random.Random, lang: str, rating: int, complaints: Sequence[str]) -> str:
    """A review title matching the rating (a delivery title when lateness is the complaint)."""
    ph = _PHRASES[lang]
    if rating <= 2 and "delivery_speed" in complaints and rng.random() < 0.5:
        return rng.choice(ph["title_late"])
    return rng.choice(ph[f"title_{_tone(rating)}"])


def _review_text(
    rng: random.Random, lang: str, rating: int, product: _Product, exclude: Sequence[str] = ()
) -> tuple[str, str]:
    """Title and body of an ordinary review whose tone follows the star rating."""
    n_pos, n_neg = _tone_mix(rng, rating)
    pos = _pick_touches(rng, _touch_weights(product, True), n_pos, exclude)
    neg = _pick_touches(rng, _touch_weights(product, False), n_neg, (*exclude, *pos))
    good = [_sentence(rng, lang, t, True, product) for t in pos]
    bad = [_sentence(rng, lang, t, False, product) for t in neg]
    return _title(rng, lang, rating, neg), _arrange(rng, lang, rating, good, bad)


def _late_text(rng: random.Random, lang: str, rating: int, product: _Product) -> tuple[str, str]:
    """Title and body of a review complaining that the order arrived late."""
    ph = _PHRASES[lang]
    parts = [_sentence(rng, lang, "delivery_speed", False, product, days=rng.randint(8, 16))]
    if rng.random() < 0.6:
        parts.append(rng.choice(ph["late_extra"]))
    if rating == 3:
        parts.append(_lead(rng, ph["concede"], _sentence(rng, lang, "customer_service", True, product)))
    elif rng.random() < 0.5:
        parts.append(rng.choice(ph["close_neg"]))
    return rng.choice(ph["title_late"]), " ".join(parts)


def _mixed_text(
    rng: random.Random, lang: str, rating: int, product: _Product, aspects: tuple[str, str]
) -> tuple[str, str]:
    """Title and body praising one aspect and complaining about another."""
    ph = _PHRASES[lang]
    good = _sentence(rng, lang, aspects[0], True, product)
    bad = _sentence(rng, lang, aspects[1], False, product)
    if rng.random() < 0.7:
        parts = [good, _lead(rng, ph["contrast"], bad)]
    else:
        parts = [bad, _lead(rng, ph["concede"], good)]
    if rng.random() < 0.3:
        parts.append(rng.choice(ph["close_neu"]))
    return _title(rng, lang, rating, (aspects[1],)), " ".join(parts)


def _ring_text(rng: random.Random) -> tuple[str, str]:
    """A templated five-star review: the same few sentences with small word swaps."""
    chosen = sorted(rng.sample(range(len(_RING_SENTENCES)), 3))

    def fill(m: re.Match[str]) -> str:
        return rng.choice(_RING_SWAPS[m.group(1)])

    body = " ".join(re.sub(r"\{(\w+)\}", fill, _RING_SENTENCES[i]) for i in chosen)
    return rng.choice(_RING_TITLES), body


def _feedback_text(rng: random.Random, lang: str, rating: int) -> tuple[str, list[str]]:
    """A seller-feedback comment and the touchpoints it complains about."""
    n_pos, n_neg = {5: (rng.randint(1, 2), 0), 4: (1, 0), 3: (1, 1)}.get(rating, (0, rng.randint(1, 2)))
    pos = _pick_touches(rng, _FEEDBACK_POS_WEIGHTS, n_pos)
    neg = _pick_touches(rng, _FEEDBACK_NEG_WEIGHTS, n_neg, pos)
    ph = _PHRASES[lang]
    parts = [_sentence(rng, lang, t, True, None) for t in pos]
    parts += [
        _lead(rng, ph["contrast"], s) if pos and i == 0 else s
        for i, s in enumerate(_sentence(rng, lang, t, False, None) for t in neg)
    ]
    if rating >= 4 and rng.random() < 0.5:
        parts.insert(0, rng.choice(ph["seller_pos"]))
    elif rating <= 2 and rng.random() < 0.4:
        parts.insert(0, rng.choice(ph["seller_neg"]))
    return " ".join(parts), neg


def _flag(rng: random.Random, failed: bool, rating: int) -> str:
    """An Amazon Yes/No/- answer: No where the comment complains about it."""
    if failed:
        return "No"
    if rating <= 2:
        return str(rng.choice(("Yes", "-")))
    return "-" if rng.random() < 0.15 else "Yes"


def _flags(rng: random.Random, rating: int, complaints: Sequence[str]) -> tuple[str, str, str]:
    """Arrived on time, item as described, customer service: consistent with the comment."""
    return (
        _flag(rng, "delivery_speed" in complaints, rating),
        _flag(rng, bool({"wrong_item", "product_info"} & set(complaints)), rating),
        _flag(rng, bool({"customer_service", "returns_refunds"} & set(complaints)), rating),
    )


# ---------------------------------------------------------------------------------------------------------
# Reviews
# ---------------------------------------------------------------------------------------------------------


def _generate_reviews(w: _World) -> list[_Review]:
    """Every review of the run, backfill included, day by day."""
    out: list[_Review] = []
    for day in _all_days(w.plan.start, w.plan.nights):
        out.extend(_organic_review(w, day) for _ in range(_review_volume(w.rng, day, w.plan.start)))
        out.extend(_spike_reviews(w, day))
        out.extend(_ring_reviews(w, day))
        out.extend(_edge_reviews(w, day))
    return out


def _review_volume(rng: random.Random, day: date, start: date) -> int:
    """Reviews on a day: 80-150 on a night, fewer per day in the backfill, more at weekends."""
    if day >= start:
        return rng.randint(80, 150)
    return round(rng.randint(24, 38) * _WEEKDAY_FACTOR[day.weekday()])


def _organic_review(w: _World, day: date) -> _Review:
    """A review by an ordinary customer; planted products and the spike seller get their patterns."""
    rng = w.rng
    product = rng.choice(w.products)
    customer = _pick_customer(w, _pick_language(rng))
    when = _moment(rng, day)
    if product.product_id in w.plan.mixed:
        return _mixed_review(w, product, customer, when)
    in_spike = product.seller_id == SPIKE_SELLER and day in w.plan.spike_dates
    if in_spike and rng.random() < 0.7:
        return _late_review(w, product, customer, when)
    source = str(_pick(rng, REVIEW_SOURCES, _REVIEW_SOURCE_WEIGHTS))
    return _normal_review(w, product, customer, when, source, ("delivery_speed",) if in_spike else ())


def _normal_review(
    w: _World,
    product: _Product,
    customer: _Customer,
    when: datetime,
    source: str,
    exclude: Sequence[str] = (),
) -> _Review:
    """A review whose rating follows the product's quality and whose text follows the rating."""
    rating = _draw_rating(w.rng, product.goodness)
    title, text = _review_text(w.rng, customer.language, rating, product, exclude)
    return _assemble_review(w, product, customer, when, rating, title, text, source)


def _mixed_review(w: _World, product: _Product, customer: _Customer, when: datetime) -> _Review:
    """A review of a mixed-sentiment product: one aspect praised, another criticised, 2-4 stars."""
    rng = w.rng
    rating = int(_pick(rng, (2, 3, 4), (0.25, 0.45, 0.30)))
    title, text = _mixed_text(rng, customer.language, rating, product, w.plan.mixed[product.product_id])
    source = rng.choice(GENERIC_REVIEW_SOURCES)
    return _assemble_review(w, product, customer, when, rating, title, text, source, tag="mixed")


def _late_review(w: _World, product: _Product, customer: _Customer, when: datetime) -> _Review:
    """A review of a spike-seller product complaining about late delivery."""
    rng = w.rng
    rating = int(_pick(rng, (1, 2, 3), (0.45, 0.40, 0.15)))
    title, text = _late_text(rng, customer.language, rating, product)
    source = rng.choice(GENERIC_REVIEW_SOURCES)
    return _assemble_review(w, product, customer, when, rating, title, text, source, tag="late")


def _spike_reviews(w: _World, day: date) -> list[_Review]:
    """Extra late-delivery reviews of the spike seller's products, in every language."""
    if day not in w.plan.spike_dates:
        return []
    rng = w.rng
    products = [p for p in w.products if p.seller_id == SPIKE_SELLER]
    out = []
    for i in range(rng.randint(4, 6)):
        lang = LANGUAGES[i] if i < len(LANGUAGES) else _pick_language(rng)
        out.append(_late_review(w, rng.choice(products), _pick_customer(w, lang), _moment(rng, day)))
    return out


def _ring_reviews(w: _World, day: date) -> list[_Review]:
    """The fake ring's templated five-star reviews posted on this day."""
    by_id = {c.customer_id: c for c in w.ring}
    by_product = {p.product_id: p for p in w.products}
    out = []
    for customer_id, product_id, posted in w.plan.ring_posts:
        if posted != day:
            continue
        title, text = _ring_text(w.rng)
        tag = "ring" if product_id in w.plan.ring_targets else "ring_other"
        source = w.rng.choice(GENERIC_REVIEW_SOURCES)
        out.append(
            _assemble_review(
                w,
                by_product[product_id],
                by_id[customer_id],
                _moment(w.rng, day),
                5,
                title,
                text,
                source,
                tag=tag,
                verified=False,
                channel=w.rng.choice(("web", "app")),
            )
        )
    return out


def _edge_reviews(w: _World, day: date) -> list[_Review]:
    """Valid reviews with quotes, newlines, HTML, emoji and SQL-looking text, rotated over the formats."""
    if day < w.plan.start:
        return []
    index = (day - w.plan.start).days
    out = []
    for i, (feature, lang, rating, text) in enumerate(_EDGE_REVIEWS):
        source = REVIEW_SOURCES[(i + index) % len(REVIEW_SOURCES)]
        title = _title(w.rng, lang, rating, ())
        product = w.rng.choice(w.plain_products())
        customer = _pick_customer(w, lang)
        out.append(
            _assemble_review(
                w,
                product,
                customer,
                _moment(w.rng, day),
                rating,
                title,
                text,
                source,
                tag="edge",
                feature=feature,
            )
        )
    return out


def _assemble_review(
    w: _World,
    product: _Product,
    customer: _Customer,
    when: datetime,
    rating: int,
    title: str,
    text: str,
    source: str,
    *,
    tag: str = "",
    feature: str = "",
    verified: bool | None = None,
    channel: str | None = None,
) -> _Review:
    """Fill in ids, channel, helpfulness and the Judge.me-only fields."""
    rng = w.rng
    review = _Review(
        review_id="" if source == "judgeme" else w.next_review_id(),
        product=product,
        customer=customer,
        rating=rating,
        title=title,
        text=text,
        when=when,
        channel=channel or _review_channel(rng, source),
        verified=rng.random() < 0.85 if verified is None else verified,
        helpful=0 if verified is False else min(int(rng.expovariate(0.4)), 60),
        source=source,
        tag=tag,
        feature=feature,
    )
    return _judgeme_extras(rng, review) if source == "judgeme" else review


def _review_channel(rng: random.Random, source: str) -> str:
    """Judge.me reviews come from the Shopify store; generic exports from any channel."""
    return "shopify" if source == "judgeme" else str(_pick(rng, CHANNELS, _CHANNEL_WEIGHTS))


def _judgeme_extras(rng: random.Random, review: _Review) -> _Review:
    """Origin (email/web), a shop reply on some reviews, pictures on a few."""
    ph = _PHRASES[review.customer.language]
    reply = ""
    if review.rating <= 2 and rng.random() < 0.45:
        reply = rng.choice(ph["reply_neg"])
    elif review.rating == 5 and rng.random() < 0.1:
        reply = rng.choice(ph["reply_pos"])
    end_of_day = datetime.combine(review.when.date(), time(23, 59, 59))
    reply_when = min(review.when + timedelta(hours=rng.randint(1, 6)), end_of_day) if reply else None
    pictures = ""
    if rng.random() < 0.12:
        pictures = ",".join(
            f"https://cdn.example.com/reviews/{rng.getrandbits(32):08x}.jpg" for _ in range(rng.randint(1, 2))
        )
    origin = "email" if rng.random() < 0.6 else "web"
    return replace(review, reply=reply, reply_when=reply_when, pictures=pictures, origin=origin)


def _plan_edit(w: _World, reviews: list[_Review]) -> tuple[list[_Review], tuple[_Review, _Review] | None]:
    """Pick a first-night review to be edited on a later night; mark the original."""
    if w.plan.edit_night is None:
        return reviews, None
    first = [
        i
        for i, r in enumerate(reviews)
        if r.when.date() == w.plan.start and not r.tag and r.source in GENERIC_REVIEW_SOURCES
    ]
    low = [i for i in first if reviews[i].rating <= 2]
    index = w.rng.choice(low or first)
    original = replace(reviews[index], tag="edit_original")
    ph = _PHRASES[original.customer.language]
    up = original.rating <= 3
    edited = replace(
        original,
        rating=4 if up else 2,
        title=w.rng.choice(ph["update_title"]),
        tag="edited",
        text=f"{w.rng.choice(ph['update_up' if up else 'update_down'])} {original.text}",
    )
    return reviews[:index] + [original] + reviews[index + 1 :], (original, edited)


# ---------------------------------------------------------------------------------------------------------
# Seller feedback
# ---------------------------------------------------------------------------------------------------------


def _generate_feedback(w: _World) -> list[_Feedback]:
    """Every seller-feedback record of the run, backfill included, day by day."""
    out: list[_Feedback] = []
    for day in _all_days(w.plan.start, w.plan.nights):
        count = w.rng.randint(30, 60) if day >= w.plan.start else w.rng.randint(5, 10)
        out.extend(_organic_feedback(w, day, first=i == 0) for i in range(count))
        out.extend(_spike_feedback(w, day))
        out.extend(_edge_feedback(w, day))
    return out


def _organic_feedback(w: _World, day: date, first: bool) -> _Feedback:
    """Feedback from an ordinary buyer; the spike seller's buyers complain during the spike."""
    rng = w.rng
    seller = rng.choice(_SELLER_IDS)
    customer = _pick_customer(w, _pick_language(rng))
    source = AMAZON if first else str(_pick(rng, FEEDBACK_SOURCES, _FEEDBACK_SOURCE_WEIGHTS))
    if seller == SPIKE_SELLER and day in w.plan.spike_dates:
        return _late_feedback(w, seller, customer, day, source)
    return _normal_feedback(w, seller, customer, day, source)


def _normal_feedback(w: _World, seller: str, customer: _Customer, day: date, source: str) -> _Feedback:
    """Feedback whose rating follows the seller's quality and whose comment and flags follow the rating."""
    rng = w.rng
    rating = _draw_rating(rng, w.seller_goodness[seller])
    comment, complaints = _feedback_text(rng, customer.language, rating)
    replies = _PHRASES[customer.language]["reply_neg"]
    response = rng.choice(replies) if rating <= 2 and rng.random() < 0.35 else ""
    return _assemble_feedback(
        w,
        seller,
        customer,
        _moment(rng, day),
        rating,
        comment,
        source,
        _flags(rng, rating, complaints),
        response,
    )


def _late_feedback(w: _World, seller: str, customer: _Customer, day: date, source: str) -> _Feedback:
    """Feedback complaining that the order arrived late (``Arrived on time = No``)."""
    rng = w.rng
    lang = customer.language
    ph = _PHRASES[lang]
    rating = int(_pick(rng, (1, 2, 3), (0.55, 0.35, 0.10)))
    parts = [_sentence(rng, lang, "delivery_speed", False, None, days=rng.randint(8, 16))]
    if rng.random() < 0.5:
        parts.append(rng.choice(ph["late_extra"]))
    if rating <= 2 and rng.random() < 0.4:
        parts.insert(0, rng.choice(ph["seller_neg"]))
    flags = ("No", str(rng.choice(("Yes", "-"))), str(rng.choice(("Yes", "-"))))
    response = rng.choice(ph["reply_neg"]) if rng.random() < 0.4 else ""
    return _assemble_feedback(
        w, seller, customer, _moment(rng, day), rating, " ".join(parts), source, flags, response, tag="late"
    )


def _spike_feedback(w: _World, day: date) -> list[_Feedback]:
    """Extra late-delivery feedback for the spike seller, in every language."""
    if day not in w.plan.spike_dates:
        return []
    rng = w.rng
    out = []
    for i in range(rng.randint(5, 7)):
        lang = LANGUAGES[i] if i < len(LANGUAGES) else _pick_language(rng)
        source = str(_pick(rng, FEEDBACK_SOURCES, _FEEDBACK_SOURCE_WEIGHTS))
        out.append(_late_feedback(w, SPIKE_SELLER, _pick_customer(w, lang), day, source))
    return out


def _edge_feedback(w: _World, day: date) -> list[_Feedback]:
    """One generic-CSV feedback per night whose comment has quotes and commas."""
    if day < w.plan.start:
        return []
    feature, lang, rating, text = _EDGE_FEEDBACK
    seller = w.rng.choice([s for s in _SELLER_IDS if s != SPIKE_SELLER])
    return [
        _assemble_feedback(
            w,
            seller,
            _pick_customer(w, lang),
            _moment(w.rng, day),
            rating,
            text,
            "generic_csv",
            ("Yes", "Yes", "Yes"),
            tag="edge",
            feature=feature,
        )
    ]


def _assemble_feedback(
    w: _World,
    seller: str,
    customer: _Customer,
    when: datetime,
    rating: int,
    comment: str,
    source: str,
    flags: tuple[str, str, str],
    response: str = "",
    *,
    tag: str = "",
    feature: str = "",
) -> _Feedback:
    """Fill in ids, order id and channel."""
    channel = "marketplace" if source == AMAZON else str(_pick(w.rng, CHANNELS, _CHANNEL_WEIGHTS))
    return _Feedback(
        feedback_id="" if source == AMAZON else w.next_feedback_id(),
        order_id=_order_id(w, source),
        seller_id=seller,
        customer=customer,
        rating=rating,
        comment=comment,
        when=when,
        channel=channel,
        source=source,
        flags=flags,
        response=response,
        tag=tag,
        feature=feature,
    )


def _order_id(w: _World, source: str) -> str:
    """A unique order id: ``112-1234567-1234567`` on Amazon, ``SO-12345678`` elsewhere."""
    rng = w.rng
    order = ""
    while not order or order in w.orders:
        if source == AMAZON:
            order = (
                f"{rng.choice(('111', '112', '113', '114'))}-{rng.randint(0, 9_999_999):07d}-"
                f"{rng.randint(0, 9_999_999):07d}"
            )
        else:
            order = f"SO-{rng.randint(10_000_000, 99_999_999)}"
    w.orders.add(order)
    return order


# ---------------------------------------------------------------------------------------------------------
# Survey responses (their own random stream: nothing above draws from it, nothing here from ``w.rng``)
# ---------------------------------------------------------------------------------------------------------


def _generate_surveys(rng: random.Random, plan: _Plan) -> list[_Survey]:
    """Every survey response of the run, backfill included, day by day."""
    out: list[_Survey] = []
    for day in _all_days(plan.start, plan.nights):
        for _ in range(rng.randint(25, 40) if day >= plan.start else rng.randint(4, 8)):
            out.append(_organic_survey(rng, plan, day, len(out) + 1))
        for _ in range(rng.randint(3, 5) if day in plan.spike_dates else 0):
            out.append(_late_survey(rng, day, len(out) + 1))
    return out


def _organic_survey(rng: random.Random, plan: _Plan, day: date, number: int) -> _Survey:
    """A respondent whose NPS, CES and CSAT agree, and whose comment (if any) follows their CSAT."""
    channel = str(_pick(rng, CHANNELS, _SURVEY_CHANNEL_WEIGHTS))
    if channel == SURVEY_SPIKE_CHANNEL and day in plan.spike_dates and rng.random() < 0.4:
        return _late_survey(rng, day, number)
    lang = _pick_language(rng)
    csat = _draw_rating(rng, _SURVEY_GOODNESS)
    (nps_lo, nps_hi), (ces_lo, ces_hi) = _SURVEY_ANSWERS[csat]
    answers = {"nps": rng.randint(nps_lo, nps_hi), "ces": rng.randint(ces_lo, ces_hi), "csat": csat}
    skipped = [q for q, share in _SURVEY_SKIP.items() if rng.random() < share]
    if len(skipped) == len(answers):  # a valid response answers at least one question
        skipped.pop(rng.randrange(len(skipped)))
    comment = _survey_comment(rng, lang, csat) if rng.random() < _SURVEY_COMMENT_SHARE else ""
    given = {q: None if q in skipped else answers[q] for q in answers}
    return _Survey(
        f"sv-{number:06d}",
        channel,
        lang,
        _moment(rng, day),
        given["nps"],
        given["ces"],
        given["csat"],
        comment,
    )


def _late_survey(rng: random.Random, day: date, number: int) -> _Survey:
    """A marketplace respondent during the spike: the order came late, low NPS and CSAT, high effort."""
    lang = _pick_language(rng)
    parts = [_sentence(rng, lang, "delivery_speed", False, None, days=rng.randint(8, 16))]
    if rng.random() < 0.5:
        parts.append(rng.choice(_PHRASES[lang]["late_extra"]))
    csat = int(_pick(rng, (1, 2, 3), (0.5, 0.4, 0.1)))
    (nps_lo, nps_hi), (ces_lo, ces_hi) = _SURVEY_ANSWERS[csat]
    return _Survey(
        f"sv-{number:06d}",
        SURVEY_SPIKE_CHANNEL,
        lang,
        _moment(rng, day),
        rng.randint(nps_lo, min(nps_hi, 6)),  # a late order makes a detractor
        rng.randint(ces_lo, ces_hi),
        csat,
        " ".join(parts),
        tag="late",
    )


def _survey_comment(rng: random.Random, lang: str, csat: int) -> str:
    """A comment about the journey whose tone follows the CSAT answer."""
    n_pos, n_neg = _tone_mix(rng, csat)
    pos = _pick_touches(rng, _SURVEY_POS_WEIGHTS, n_pos)
    neg = _pick_touches(rng, _SURVEY_NEG_WEIGHTS, n_neg, pos)
    good = [_sentence(rng, lang, t, True, None) for t in pos]
    bad = [_sentence(rng, lang, t, False, None) for t in neg]
    return _arrange(rng, lang, csat, good, bad)


def _survey_record(s: _Survey) -> _Record:
    """The file record for a survey response, in the generic survey columns."""
    values = {
        "response_id": s.response_id,
        "channel": s.channel,
        "response_date": s.when.isoformat(timespec="seconds"),
        "nps": s.nps,
        "ces": s.ces,
        "csat": s.csat,
        "comment": s.comment,
        "language": s.language,
    }
    return _Record(values, (s.when.isoformat(), s.response_id), s.tag)


def _survey_file(rng: random.Random, night: date, surveys: list[_Survey], malformed: bool) -> _File:
    """One night's survey file; on a malformed night, one record per survey reason goes bad."""
    file = _File(
        "survey_responses", "generic_csv", f"survey_responses/generic_csv/{night.isoformat()}/surveys.csv"
    )
    file.records = sorted((_survey_record(s) for s in surveys), key=lambda rec: rec.key)
    if not malformed:
        return file
    for reason, column, values in _SURVEY_MALFORMED:
        plain = [i for i, rec in enumerate(file.records) if not rec.tag and not rec.reason]
        record = file.records[rng.choice(plain)]
        bad = _Record(dict(record.values), record.key, reason=reason)
        bad.values["response_id"] = f"{record.values['response_id']}-x"
        if column:
            bad.values[column] = rng.choice(values)
        else:
            bad.values.update(nps=None, ces=None, csat=None)
        file.records.insert(rng.randint(0, len(file.records)), bad)
    return file


# ---------------------------------------------------------------------------------------------------------
# Rendering records
# ---------------------------------------------------------------------------------------------------------


def _review_record(r: _Review) -> _Record:
    """The file record for a review, in its source's columns."""
    values = _judgeme_values(r) if r.source == "judgeme" else _generic_review_values(r)
    return _Record(values, (r.when.isoformat(), r.review_id or r.customer.email), r.tag, r.feature)


def _generic_review_values(r: _Review) -> dict[str, Any]:
    """Generic review columns; Parquet carries the date only, CSV and JSONL the timestamp."""
    p = r.product
    stamp = r.when.isoformat(timespec="seconds")
    if r.source == "generic_parquet":
        stamp = r.when.date().isoformat()
    return {
        "review_id": r.review_id,
        "product_id": p.product_id,
        "reviewer_id": r.customer.customer_id,
        "rating": r.rating,
        "title": r.title,
        "text": r.text,
        "review_date": stamp,
        "language": r.customer.language,
        "channel": r.channel,
        "verified_purchase": r.verified,
        "seller_id": p.seller_id,
        "product_title": p.title,
        "category": p.category,
        "helpful_votes": r.helpful,
    }


def _judgeme_stamp(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else ""


def _judgeme_values(r: _Review) -> dict[str, Any]:
    """Judge.me export columns (no review id; the shop's product id and handle)."""
    c = r.customer
    return {
        "title": r.title,
        "body": r.text,
        "rating": r.rating,
        "review_date": _judgeme_stamp(r.when),
        "source": r.origin,
        "curated": "ok",
        "reviewer_name": c.name,
        "reviewer_email": c.email,
        "product_id": r.product.product_id,
        "product_handle": r.product.handle,
        "reply": r.reply,
        "reply_date": _judgeme_stamp(r.reply_when),
        "picture_urls": r.pictures,
        "ip_address": c.ip,
        "location": c.location,
    }


def _feedback_record(f: _Feedback) -> _Record:
    """The file record for seller feedback, in its source's columns."""
    values = _amazon_values(f) if f.source == AMAZON else _generic_feedback_values(f)
    return _Record(values, (f.when.isoformat(), f.feedback_id or f.order_id), f.tag, f.feature)


def _tsv_safe(text: str) -> str:
    """Seller Central reports are unquoted: no tabs, newlines or double quotes inside a field."""
    return re.sub(r"[\t\r\n]+", " ", text).replace('"', "'")


def _amazon_values(f: _Feedback) -> dict[str, Any]:
    arrived, described, service = f.flags
    return {
        "Date": f.when.strftime("%m/%d/%y"),
        "Rating": f.rating,
        "Comments": _tsv_safe(f.comment),
        "Your Response": _tsv_safe(f.response),
        "Order ID": f.order_id,
        "Rater Email": f.customer.rater_email,
        "Arrived on time": arrived,
        "Item as described": described,
        "Customer service": service,
    }


def _as_bool(flag: str) -> bool | None:
    return {"Yes": True, "No": False}.get(flag)


def _generic_feedback_values(f: _Feedback) -> dict[str, Any]:
    arrived, described, service = f.flags
    return {
        "feedback_id": f.feedback_id,
        "seller_id": f.seller_id,
        "order_id": f.order_id,
        "reviewer_id": f.customer.customer_id,
        "rating": f.rating,
        "comment": f.comment,
        "feedback_date": f.when.date().isoformat(),
        "channel": f.channel,
        "language": f.customer.language,
        "arrived_on_time": _as_bool(arrived),
        "item_as_described": _as_bool(described),
        "service_ok": _as_bool(service),
    }


# ---------------------------------------------------------------------------------------------------------
# Nights: files, malformed records, writing
# ---------------------------------------------------------------------------------------------------------


def _night_index(plan: _Plan, day: date) -> int:
    """The night whose files carry a record dated ``day`` (backfill goes to the first night)."""
    return max((day - plan.start).days, 0)


def _write_nights(
    w: _World,
    landing: Path,
    reviews: list[_Review],
    feedback: list[_Feedback],
    edit: tuple[_Review, _Review] | None,
    surveys: tuple[random.Random, list[_Survey]],
) -> _Outcome:
    """Bucket records by night, build each night's files, plant malformed records and write them."""
    plan = w.plan
    survey_rng, survey_list = surveys
    night_reviews: list[list[_Review]] = [[] for _ in plan.nights]
    night_feedback: list[list[_Feedback]] = [[] for _ in plan.nights]
    night_surveys: list[list[_Survey]] = [[] for _ in plan.nights]
    for r in reviews:
        night_reviews[_night_index(plan, r.when.date())].append(r)
    for f in feedback:
        night_feedback[_night_index(plan, f.when.date())].append(f)
    for s in survey_list:
        night_surveys[_night_index(plan, s.when.date())].append(s)
    if edit is not None and plan.edit_night is not None:
        night_reviews[plan.edit_night].append(edit[1])
    outcome = _Outcome()
    for index, night in enumerate(plan.nights):
        files = _night_files(night.isoformat(), night_reviews[index], night_feedback[index])
        if index in plan.malformed_nights:
            _plant_malformed(w, files, night, _malformed_for(plan, index))
        survey_file = _survey_file(survey_rng, night, night_surveys[index], index in plan.malformed_nights)
        files[survey_file.rel] = survey_file
        for rel in sorted(files):
            outcome.files.append(_write_file(landing / rel, files[rel]))
            outcome.rels.append(rel)
            _collect(outcome, night.isoformat(), files[rel])
    return outcome


def _night_files(night: str, reviews: list[_Review], feedback: list[_Feedback]) -> dict[str, _File]:
    """One night's files with their records, sorted by time then id."""
    files: dict[str, _File] = {}
    for r in reviews:
        _file_for(files, "reviews", r.source, night, "").records.append(_review_record(r))
    for f in feedback:
        seller = f.seller_id if f.source == AMAZON else ""
        _file_for(files, "seller_feedback", f.source, night, seller).records.append(_feedback_record(f))
    for file in files.values():
        file.records.sort(key=lambda rec: rec.key)
    return files


def _file_for(files: dict[str, _File], kind: str, source: str, night: str, seller: str) -> _File:
    """The file a record of this kind and source goes to, created on first use."""
    name = f"{seller}.txt" if source == AMAZON and kind == "seller_feedback" else _FILE_NAMES[(kind, source)]
    rel = f"{kind}/{source}/{night}/{name}"
    if rel not in files:
        files[rel] = _File(kind, source, rel, seller)
    return files[rel]


def _malformed_for(plan: _Plan, index: int) -> tuple[tuple[str, str, str], ...]:
    """This night's share of the malformed-record plan."""
    slot = plan.malformed_nights.index(index)
    return plan.malformed_plan[slot :: len(plan.malformed_nights)]


def _plant_malformed(
    w: _World, files: dict[str, _File], night: date, plan: Sequence[tuple[str, str, str]]
) -> None:
    """Insert malformed records at random positions (a duplicate always after the record it copies)."""
    rng = w.rng
    for kind, source, reason in plan:
        target = _target_file(rng, files, kind, source, reason)
        if reason == "duplicate_id":
            plain = [i for i, rec in enumerate(target.records) if not rec.tag and not rec.reason]
            origin = rng.choice(plain)
            copy = _Record(dict(target.records[origin].values), target.records[origin].key, reason=reason)
            target.records.insert(rng.randint(origin + 1, len(target.records)), copy)
            continue
        record = _fresh_record(w, target, night)
        _corrupt(rng, record, target, reason)
        target.records.insert(rng.randint(0, len(target.records)), record)


def _target_file(rng: random.Random, files: dict[str, _File], kind: str, source: str, reason: str) -> _File:
    """A file of this kind and source to hold a malformed record (not the spike seller's, if possible)."""
    candidates = [f for f in files.values() if f.kind == kind and f.source == source]
    quiet = [f for f in candidates if f.seller != SPIKE_SELLER] or candidates
    if reason == "duplicate_id":
        quiet = [f for f in quiet if any(not r.tag and not r.reason for r in f.records)] or quiet
    return quiet[rng.randrange(len(quiet))]


def _fresh_record(w: _World, target: _File, night: date) -> _Record:
    """An ordinary record for ``target`` (to be corrupted), about a product or seller with no pattern."""
    rng = w.rng
    customer = _pick_customer(w, _pick_language(rng))
    if target.kind == "reviews":
        return _review_record(
            _normal_review(w, rng.choice(w.plain_products()), customer, _moment(rng, night), target.source)
        )
    seller = target.seller or rng.choice([s for s in _SELLER_IDS if s != SPIKE_SELLER])
    return _feedback_record(_normal_feedback(w, seller, customer, night, target.source))


def _corrupt(rng: random.Random, record: _Record, target: _File, reason: str) -> None:
    """Break one thing about a record so it fails with ``reason``."""
    id_col, text_col, rating_col, date_col = _FIELDS[(target.kind, target.source)]
    record.reason = reason
    values = record.values
    if reason == "empty_text":
        values[text_col] = ""
    elif reason == "bad_rating":
        values[rating_col] = rng.choice(_BAD_RATINGS[target.source])
    elif reason == "bad_date":
        values[date_col] = rng.choice(_BAD_DATES.get(target.source, _BAD_DATES["iso"]))
    elif reason == "missing_id":
        values[id_col] = None if target.source in ("generic_jsonl", "generic_parquet") else ""
    elif reason == "broken_json":
        line = json.dumps(values, ensure_ascii=False)
        record.raw = line[: len(line) * 2 // 3]
    elif reason == "undecodable":
        text = str(values[text_col])
        cut = len(text) // 2
        values[text_col] = f"{text[:cut]}{_UNDECODABLE}{text[cut:]}"
    else:
        raise ValueError(f"unknown malformed reason {reason!r}")


def _collect(outcome: _Outcome, night: str, file: _File) -> None:
    """Add a written file's counts, malformed records and edge cases to the outcome."""
    per_night = outcome.counts.setdefault(file.kind, {}).setdefault(file.source, {})
    entry = per_night.setdefault(night, {"rows": 0, "malformed": 0})
    entry["rows"] += len(file.records)
    for number, rec in enumerate(file.records, start=1):
        where = {"night": night, "kind": file.kind, "source": file.source, "file": file.rel, "record": number}
        if rec.reason:
            entry["malformed"] += 1
            outcome.malformed.append(where | {"reason": rec.reason})
        elif rec.tag == "edge":
            id_col, text_col, _, _ = _FIELDS[(file.kind, file.source)]
            ident = rec.values.get(id_col) if id_col else None
            outcome.edge.append(where | {"feature": rec.feature, "id": ident, "text": rec.values[text_col]})


def _write_file(path: Path, file: _File) -> Path:
    """Write one export file in its source's format; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writers: dict[tuple[str, str], Callable[[list[_Record]], bytes]] = {
        ("reviews", "generic_csv"): lambda recs: _delimited_bytes(GENERIC_REVIEW_COLUMNS, recs),
        ("reviews", "generic_jsonl"): _jsonl_bytes,
        ("reviews", "generic_parquet"): _parquet_bytes,
        ("reviews", "judgeme"): lambda recs: _delimited_bytes(JUDGEME_COLUMNS, recs),
        ("seller_feedback", AMAZON): _tsv_bytes,
        ("seller_feedback", "generic_csv"): lambda recs: _delimited_bytes(GENERIC_FEEDBACK_COLUMNS, recs),
        ("survey_responses", "generic_csv"): lambda recs: _delimited_bytes(GENERIC_SURVEY_COLUMNS, recs),
    }
    path.write_bytes(writers[(file.kind, file.source)](file.records))
    return path


def _cell(value: Any) -> str:
    """A value as CSV text: booleans as ``true``/``false``, missing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _with_bad_bytes(text: str) -> bytes:
    """UTF-8 bytes, with the undecodable placeholder turned into invalid UTF-8."""
    return text.encode("utf-8").replace(_UNDECODABLE.encode("ascii"), _UNDECODABLE_BYTES)


def _delimited_bytes(columns: Sequence[str], records: list[_Record]) -> bytes:
    """CSV with a header row, minimal quoting and ``\\n`` line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(rec.values[c]) for c in columns] for rec in records)
    return _with_bad_bytes(buffer.getvalue())


def _tsv_bytes(records: list[_Record]) -> bytes:
    """Seller Central's tab-separated report: header row, unquoted fields."""
    lines = ["\t".join(AMAZON_COLUMNS)]
    lines += ["\t".join(_cell(rec.values[c]) for c in AMAZON_COLUMNS) for rec in records]
    return _with_bad_bytes("\n".join(lines) + "\n")


def _jsonl_bytes(records: list[_Record]) -> bytes:
    """One JSON object per line (a broken record keeps its truncated text)."""
    lines = [json.dumps(rec.values, ensure_ascii=False) if rec.raw is None else rec.raw for rec in records]
    return _with_bad_bytes("".join(line + "\n" for line in lines))


def _parquet_bytes(records: list[_Record]) -> bytes:
    """Parquet with typed columns: ratings and votes as integers, verified purchase as boolean."""
    table = pa.Table.from_pylist([rec.values for rec in records], schema=_PARQUET_SCHEMA)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="snappy")
    return bytes(sink.getvalue().to_pybytes())


# ---------------------------------------------------------------------------------------------------------
# Truth file
# ---------------------------------------------------------------------------------------------------------


def _truth(
    w: _World,
    seed: int,
    reviews: list[_Review],
    feedback: list[_Feedback],
    edit: tuple[_Review, _Review] | None,
    outcome: _Outcome,
    surveys: list[_Survey],
) -> dict[str, Any]:
    """Everything the generator planted, for later checks of the pipeline's findings."""
    plan = w.plan
    return {
        "seed": seed,
        "start": plan.start.isoformat(),
        "nights": [d.isoformat() for d in plan.nights],
        "files": sorted(outcome.rels),
        "counts": outcome.counts,
        "totals": _totals(outcome),
        "backfill": _backfill_section(plan, reviews, feedback, surveys),
        "catalog": _catalog_section(w),
        "complaint_spike": _spike_section(w, reviews, feedback),
        "fake_ring": _ring_section(w, reviews),
        "mixed_products": _mixed_section(w, reviews),
        "edited_review": _edit_section(plan, edit),
        "surveys": _survey_section(plan, surveys),
        "malformed": {
            "description": "Records that must be rejected or quarantined, by 1-based data record number "
            "(header excluded); for duplicate_id the second occurrence is the bad one.",
            "records": outcome.malformed,
        },
        "edge_cases": {
            "description": "Valid records with quotes, commas, newlines, HTML, emoji or SQL-looking text; "
            "they must load with the text kept verbatim.",
            "records": outcome.edge,
        },
    }


def _totals(outcome: _Outcome) -> dict[str, dict[str, int]]:
    """Rows and malformed rows per kind, over all nights and sources."""
    return {
        kind: {
            "rows": sum(n["rows"] for per in sources.values() for n in per.values()),
            "malformed": sum(n["malformed"] for per in sources.values() for n in per.values()),
        }
        for kind, sources in outcome.counts.items()
    }


def _backfill_section(
    plan: _Plan, reviews: list[_Review], feedback: list[_Feedback], surveys: list[_Survey]
) -> dict[str, Any]:
    old_reviews = sum(1 for r in reviews if r.when.date() < plan.start)
    old_feedback = sum(1 for f in feedback if f.when.date() < plan.start)
    old_surveys = sum(1 for s in surveys if s.when.date() < plan.start)
    return {
        "description": "Older records dated before the first night, shipped in the first night's files.",
        "night": plan.start.isoformat(),
        "start": (plan.start - timedelta(days=BACKFILL_DAYS)).isoformat(),
        "end": (plan.start - timedelta(days=1)).isoformat(),
        "reviews": old_reviews,
        "seller_feedback": old_feedback,
        "survey_responses": old_surveys,
    }


def _catalog_section(w: _World) -> dict[str, Any]:
    return {
        "description": "The demo catalog: every product with its title, category, seller and shop handle.",
        "products": [
            {
                "product_id": p.product_id,
                "title": p.title,
                "category": p.category,
                "seller_id": p.seller_id,
                "handle": p.handle,
            }
            for p in w.products
        ],
        "sellers": list(_SELLER_IDS),
    }


def _spike_section(w: _World, reviews: list[_Review], feedback: list[_Feedback]) -> dict[str, Any]:
    plan = w.plan
    late_reviews = [r for r in reviews if r.tag == "late"]
    late_feedback = [f for f in feedback if f.tag == "late"]
    return {
        "description": f"{SPIKE_SELLER} delivers late on these days: feedback with arrived-on-time = No, low "
        "ratings and delay comments, and late-delivery reviews of its products, in en/es/pt. "
        "Outside the window the seller is normal.",
        "seller_id": SPIKE_SELLER,
        "theme": "delivery",
        "start": plan.spike_dates[0].isoformat(),
        "end": plan.spike_dates[-1].isoformat(),
        "product_ids": sorted(p.product_id for p in w.products if p.seller_id == SPIKE_SELLER),
        "review_ids": sorted(r.review_id for r in late_reviews),
        "feedback_ids": sorted(f.feedback_id for f in late_feedback if f.feedback_id),
        "order_ids": sorted(f.order_id for f in late_feedback),
        "languages": sorted({r.customer.language for r in late_reviews}),
    }


def _ring_section(w: _World, reviews: list[_Review]) -> dict[str, Any]:
    ring = [r for r in reviews if r.tag in ("ring", "ring_other")]
    return {
        "description": "Accounts posting templated, unverified five-star reviews of the target products "
        "within a two-day burst; each also reviews one other product.",
        "reviewer_ids": sorted(c.customer_id for c in w.ring),
        "product_ids": sorted(w.plan.ring_targets),
        "review_ids": sorted(r.review_id for r in ring),
        "target_review_ids": sorted(r.review_id for r in ring if r.tag == "ring"),
        "burst_dates": [d.isoformat() for d in w.plan.burst],
    }


def _mixed_section(w: _World, reviews: list[_Review]) -> dict[str, Any]:
    products = []
    for product_id, (praised, complained) in sorted(w.plan.mixed.items()):
        ids = sorted(r.review_id for r in reviews if r.tag == "mixed" and r.product.product_id == product_id)
        products.append(
            {
                "product_id": product_id,
                "praised": praised,
                "complained": complained,
                "rating_range": [2, 4],
                "review_ids": ids,
            }
        )
    return {
        "description": "Products whose reviews praise one aspect and complain about another, rated 2 to 4.",
        "products": products,
    }


def _edit_section(plan: _Plan, edit: tuple[_Review, _Review] | None) -> dict[str, Any]:
    description = "A first-night review that reappears on a later night with the same id and new text/rating."
    if edit is None or plan.edit_night is None:
        return {"description": description + " (none: a single night)", "review_id": None}
    original, edited = edit
    name = _FILE_NAMES[("reviews", original.source)]
    first, later = plan.nights[0].isoformat(), plan.nights[plan.edit_night].isoformat()
    return {
        "description": description,
        "review_id": original.review_id,
        "source": original.source,
        "original_night": first,
        "edited_night": later,
        "original_file": f"reviews/{original.source}/{first}/{name}",
        "edited_file": f"reviews/{original.source}/{later}/{name}",
        "original_rating": original.rating,
        "edited_rating": edited.rating,
        "original_text": original.text,
        "edited_text": edited.text,
    }


def _survey_section(plan: _Plan, surveys: list[_Survey]) -> dict[str, Any]:
    """Valid survey responses per channel with their NPS / CES / CSAT tallies, and the spike's responses."""
    by_channel: dict[str, dict[str, int]] = {}
    for s in surveys:
        c = by_channel.setdefault(
            s.channel,
            {"responses": 0, "comments": 0, "nps_answers": 0, "promoters": 0, "detractors": 0,
             "ces_answers": 0, "ces_sum": 0, "csat_answers": 0, "csat_satisfied": 0},
        )  # fmt: skip
        c["responses"] += 1
        c["comments"] += bool(s.comment)
        if s.nps is not None:
            c["nps_answers"] += 1
            c["promoters"] += s.nps >= 9
            c["detractors"] += s.nps <= 6
        if s.ces is not None:
            c["ces_answers"] += 1
            c["ces_sum"] += s.ces
        if s.csat is not None:
            c["csat_answers"] += 1
            c["csat_satisfied"] += s.csat >= 4
    late = sorted(s.response_id for s in surveys if s.tag == "late")
    return {
        "description": "Survey responses that load (malformed ones are listed under malformed): NPS 0-10, "
        "CES 1-7 (lower is easier) and CSAT 1-5 that agree with each other and with the comment's tone, "
        f"tallied per channel. During the delivery spike, {SURVEY_SPIKE_CHANNEL} respondents complain "
        "about late orders.",
        "responses": len(surveys),
        "by_channel": {k: by_channel[k] for k in sorted(by_channel)},
        "spike": {
            "channel": SURVEY_SPIKE_CHANNEL,
            "start": plan.spike_dates[0].isoformat(),
            "end": plan.spike_dates[-1].isoformat(),
            "response_ids": late,
        },
    }
