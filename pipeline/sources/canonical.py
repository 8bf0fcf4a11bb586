"""The canonical data model every source is mapped onto, one ``Kind`` per warehouse table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """A whole-number answer column and its range: a 1-5 star rating, a 0-10 NPS answer, ..."""

    column: str
    low: int
    high: int
    code: str
    """The quarantine reason code when a value is not a whole number in ``low..high``."""


RATING = Scale("rating", 1, 5, "bad_rating")


@dataclass(frozen=True)
class Kind:
    """What a kind of record looks like once mapped: its table, key, date, text and columns."""

    name: str
    table: str
    id_column: str
    date_column: str
    text_column: str
    text_required: bool
    columns: tuple[str, ...]
    """The mapped batch's columns; staging SQL hashes ``reviewer_id`` and the content (sql/staging)."""
    parsers: dict[str, str]
    """The default parser of each mapped column (see ``pipeline.sources.parsers``)."""
    scales: tuple[Scale, ...] = (RATING,)
    """The answer columns validation checks (each a whole number in its range)."""
    scales_optional: bool = False
    """False: every scale must be given. True: each may be empty, but a row needs at least one."""


REVIEWS = Kind(
    name="reviews",
    table="reviews",
    id_column="review_id",
    date_column="review_date",
    text_column="text",
    text_required=True,
    columns=(
        "review_id",
        "source",
        "channel",
        "product_id",
        "product_title",
        "category",
        "seller_id",
        "reviewer_id",
        "rating",
        "title",
        "text",
        "language",
        "review_date",
        "verified_purchase",
        "helpful_votes",
    ),
    parsers={
        "review_id": "id",
        "product_id": "id",
        "seller_id": "id",
        "reviewer_id": "id",
        "channel": "id",
        "product_title": "text",
        "category": "id",
        "rating": "number",
        "title": "text",
        "text": "text",
        "language": "id",
        "review_date": "iso_date",
        "verified_purchase": "boolean",
        "helpful_votes": "count",
    },
)

SELLER_FEEDBACK = Kind(
    name="seller_feedback",
    table="seller_feedback",
    id_column="feedback_id",
    date_column="feedback_date",
    text_column="comment",
    text_required=False,
    columns=(
        "feedback_id",
        "source",
        "channel",
        "seller_id",
        "order_id",
        "reviewer_id",
        "rating",
        "title",
        "comment",
        "language",
        "feedback_date",
        "arrived_on_time",
        "item_as_described",
        "service_ok",
    ),
    parsers={
        "feedback_id": "id",
        "seller_id": "id",
        "order_id": "id",
        "reviewer_id": "id",
        "channel": "id",
        "rating": "number",
        "title": "text",
        "comment": "text",
        "language": "id",
        "feedback_date": "iso_date",
        "arrived_on_time": "boolean",
        "item_as_described": "boolean",
        "service_ok": "boolean",
    },
)

SURVEY_RESPONSES = Kind(
    name="survey_responses",
    table="survey_responses",
    id_column="response_id",
    date_column="response_date",
    text_column="comment",
    text_required=False,
    columns=(
        "response_id",
        "source",
        "channel",
        "nps",
        "ces",
        "csat",
        "comment",
        "language",
        "response_date",
    ),
    parsers={
        "response_id": "id",
        "channel": "id",
        "nps": "number",
        "ces": "number",
        "csat": "number",
        "comment": "text",
        "language": "id",
        "response_date": "iso_date",
    },
    # NPS "how likely are you to recommend us" 0-10; CES "how easy was it" 1-7 (lower is easier);
    # CSAT "how satisfied are you" 1-5
    scales=(Scale("nps", 0, 10, "bad_nps"), Scale("ces", 1, 7, "bad_ces"), Scale("csat", 1, 5, "bad_csat")),
    scales_optional=True,
)

KINDS = {k.name: k for k in (REVIEWS, SELLER_FEEDBACK, SURVEY_RESPONSES)}


def get_kind(name: str) -> Kind:
    """Look up a kind by name, with a clear error for a wrong one."""
    from pipeline.errors import ConfigError

    try:
        return KINDS[name]
    except KeyError:
        raise ConfigError(f"unknown kind {name!r}; use one of: {', '.join(KINDS)}") from None
