"""Source adapters: read an export file and map it onto the canonical model."""

from pipeline.sources.canonical import (
    KINDS,
    REVIEWS,
    SELLER_FEEDBACK,
    SURVEY_RESPONSES,
    Kind,
    Scale,
    get_kind,
)
from pipeline.sources.readers import READERS, RawBatch, Rejected
from pipeline.sources.registry import SOURCES, get_source
from pipeline.sources.spec import SourceSpec, to_canonical

__all__ = [
    "KINDS",
    "READERS",
    "REVIEWS",
    "SELLER_FEEDBACK",
    "SOURCES",
    "SURVEY_RESPONSES",
    "Kind",
    "RawBatch",
    "Rejected",
    "Scale",
    "SourceSpec",
    "get_kind",
    "get_source",
    "to_canonical",
]
