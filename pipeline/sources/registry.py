"""Every source format ReviewPulse reads, declared as data. Add a new source here (see README)."""

from __future__ import annotations

from pipeline.errors import BatchError
from pipeline.sources.canonical import KINDS, REVIEWS, SELLER_FEEDBACK, SURVEY_RESPONSES
from pipeline.sources.olist import SIDE_FILES as OLIST_SIDE_FILES
from pipeline.sources.olist import attach_seller
from pipeline.sources.spec import SourceSpec

GENERIC_REVIEW_COLUMNS = (
    "review_id", "product_id", "reviewer_id", "rating", "title", "text", "review_date",
    "language", "channel", "verified_purchase", "seller_id", "product_title", "category", "helpful_votes",
)  # fmt: skip
"""Columns of the generic review formats, in file order; from ``language`` on they are optional."""
GENERIC_FEEDBACK_COLUMNS = (
    "feedback_id", "seller_id", "order_id", "reviewer_id", "rating", "comment", "feedback_date",
    "title", "channel", "language", "arrived_on_time", "item_as_described", "service_ok",
)  # fmt: skip
"""Columns of the generic seller-feedback formats; from ``title`` on they are optional."""
GENERIC_SURVEY_COLUMNS = (
    "response_id",
    "channel",
    "response_date",
    "nps",
    "ces",
    "csat",
    "comment",
    "language",
)
"""Columns of the generic survey-response formats; only ``language`` is optional (detected when absent)."""
_GENERIC_REVIEW_OPTIONAL = GENERIC_REVIEW_COLUMNS[GENERIC_REVIEW_COLUMNS.index("language") :]
_GENERIC_FEEDBACK_OPTIONAL = GENERIC_FEEDBACK_COLUMNS[GENERIC_FEEDBACK_COLUMNS.index("title") :]
_MARC_COLUMNS = {
    "review_id": "review_id",
    "product_id": "product_id",
    "reviewer_id": "reviewer_id",
    "rating": "stars",
    "text": "review_body",
    "title": "review_title",
    "language": "language",
    "category": "product_category",
}

_GENERIC_READERS = {
    "generic_csv": ("csv", "*.csv"),
    "generic_jsonl": ("jsonl", "*.jsonl"),
    "generic_parquet": ("parquet", "*.parquet"),
}

SOURCES: list[SourceSpec] = [
    SourceSpec(
        name="amazon2018",
        kind=REVIEWS,
        reader="jsonl",
        description="Amazon Review Data 2018 (Ni et al.), JSON Lines",
        columns={
            "rating": "overall",
            "reviewer_id": "reviewerID",
            "product_id": "asin",
            "text": "reviewText",
            "title": "summary",
            "review_date": "unixReviewTime",
            "verified_purchase": "verified",
            "helpful_votes": "vote",
        },
        optional=("summary", "verified", "vote"),
        parsers={"review_date": "epoch_seconds"},
        id_from=("reviewerID", "asin", "unixReviewTime"),
        constants={"channel": "amazon", "language": "en"},
        pii=("reviewerName",),
        glob="*.json*",
        ignored=("reviewTime", "style", "image"),  # reviewTime: unixReviewTime as text
    ),
    SourceSpec(
        name="amazon2023",
        kind=REVIEWS,
        reader="csv",
        description="Amazon Reviews 2023 (McAuley lab), CSV with timestamps in milliseconds",
        columns={
            "rating": "rating",
            "title": "title",
            "text": "text",
            "product_id": ("parent_asin", "asin"),
            "reviewer_id": "user_id",
            "review_date": "timestamp",
            "helpful_votes": "helpful_vote",
            "verified_purchase": "verified_purchase",
        },
        optional=("parent_asin", "helpful_vote", "verified_purchase"),
        parsers={"review_date": "epoch_millis"},
        id_from=("user_id", "asin", "timestamp"),
        constants={"channel": "amazon", "language": "en"},
        glob="*.csv",
        ignored=("images",),
    ),
    SourceSpec(
        name="marc",
        kind=REVIEWS,
        reader="csv",
        description="Multilingual Amazon Reviews Corpus (MARC), CSV; no dates, so the landing night is used",
        columns=_MARC_COLUMNS,
        optional=("review_title", "language", "product_category"),
        constants={"channel": "amazon"},
        glob="*.csv",
    ),
    SourceSpec(
        name="marc_jsonl",
        kind=REVIEWS,
        reader="jsonl",
        description="Multilingual Amazon Reviews Corpus (MARC), JSON Lines",
        columns=_MARC_COLUMNS,
        optional=("review_title", "language", "product_category"),
        constants={"channel": "amazon"},
        glob="*.json*",
    ),
    SourceSpec(
        name="amazon_finefood",
        kind=REVIEWS,
        reader="csv",
        description="Amazon Fine Food Reviews (SNAP), CSV",
        columns={
            "review_id": "Id",
            "product_id": "ProductId",
            "reviewer_id": "UserId",
            "rating": "Score",
            "review_date": "Time",
            "title": "Summary",
            "text": "Text",
            "helpful_votes": "HelpfulnessNumerator",
        },
        optional=("Summary", "HelpfulnessNumerator"),
        parsers={"review_date": "epoch_seconds"},
        constants={"channel": "amazon", "language": "en", "category": "grocery"},
        pii=("ProfileName",),
        glob="*.csv",
        ignored=("HelpfulnessDenominator",),
    ),
    SourceSpec(
        name="judgeme",
        kind=REVIEWS,
        reader="csv",
        description="Shopify Judge.me review export, CSV (no review id: derived from product, email, date)",
        columns={
            "title": "title",
            "text": "body",
            "rating": "rating",
            "review_date": "review_date",
            "reviewer_id": "reviewer_email",
            "product_id": ("product_id", "product_handle"),
            "verified_purchase": "source",
        },
        optional=("title", "product_id", "product_handle", "source"),
        parsers={"verified_purchase": "verified_source"},
        id_from=("product_handle", "reviewer_email", "review_date"),
        constants={"channel": "shopify"},
        pii=("reviewer_name", "reviewer_email", "ip_address"),
        glob="*.csv",
        ignored=("curated", "reply", "reply_date", "picture_urls", "location"),
    ),
    SourceSpec(
        name="olist",
        kind=SELLER_FEEDBACK,
        reader="csv",
        description="Olist order reviews (Brazil) as seller feedback; seller joined from order items",
        columns={
            "order_id": "order_id",
            "rating": "review_score",
            "title": "review_comment_title",
            "comment": "review_comment_message",
            "feedback_date": "review_creation_date",
            "seller_id": "seller_id",
            "reviewer_id": "customer_unique_id",
        },
        optional=("review_comment_title", "review_comment_message", "seller_id", "customer_unique_id"),
        id_from=("review_id", "order_id"),
        constants={"channel": "olist", "language": "pt"},
        glob="*order_reviews*.csv",
        enrich=attach_seller,
        side_files=OLIST_SIDE_FILES,
        ignored=("review_answer_timestamp",),
    ),
    SourceSpec(
        name="amazon_seller_central",
        kind=SELLER_FEEDBACK,
        reader="tsv",
        description="Amazon Seller Central feedback report (TSV), one file a seller: <seller_id>.txt",
        columns={
            "feedback_date": "Date",
            "rating": "Rating",
            "comment": "Comments",
            "order_id": "Order ID",
            "reviewer_id": "Rater Email",
            "arrived_on_time": "Arrived on time",
            "item_as_described": "Item as described",
            "service_ok": "Customer service",
        },
        optional=("Comments", "Your Response", "Rater Email"),
        parsers={"feedback_date": "us_date"},
        id_from=("Order ID",),
        constants={"channel": "amazon"},
        pii=("Rater Email",),
        glob="*.t[xs][tv]",
        seller_from_filename=True,
        ignored=("Your Response",),
    ),
]

for _name, (_reader, _glob) in _GENERIC_READERS.items():
    SOURCES.append(
        SourceSpec(
            name=_name,
            kind=REVIEWS,
            reader=_reader,
            glob=_glob,
            description=f"Generic reviews ({_reader}): the canonical column names",
            columns={c: c for c in GENERIC_REVIEW_COLUMNS},
            optional=_GENERIC_REVIEW_OPTIONAL,
        )
    )
    SOURCES.append(
        SourceSpec(
            name=_name,
            kind=SELLER_FEEDBACK,
            reader=_reader,
            glob=_glob,
            description=f"Generic seller feedback ({_reader}): the canonical column names",
            columns={c: c for c in GENERIC_FEEDBACK_COLUMNS},
            optional=_GENERIC_FEEDBACK_OPTIONAL,
        )
    )
    SOURCES.append(
        SourceSpec(
            name=_name,
            kind=SURVEY_RESPONSES,
            reader=_reader,
            glob=_glob,
            description=f"Generic survey responses, NPS 0-10 / CES 1-7 / CSAT 1-5 ({_reader})",
            columns={c: c for c in GENERIC_SURVEY_COLUMNS},
            optional=("language",),
        )
    )

_BY_KEY = {(s.kind.name, s.name): s for s in SOURCES}


def get_source(kind: str, name: str) -> SourceSpec:
    """The spec for a format and kind, or a one-line error listing the known formats."""
    try:
        return _BY_KEY[(kind, name)]
    except KeyError:
        known = sorted(n for k, n in _BY_KEY if k == kind)
        if not known:
            raise BatchError(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}") from None
        raise BatchError(f"unknown format {name!r} for {kind}; known formats: {', '.join(known)}") from None
