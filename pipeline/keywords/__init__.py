"""Long-tail keyword phrases for sellers: mined from reviews, merged, scored per product and category."""

from pipeline.keywords.exports import export_keywords, listing_gaps, read_listing, top_keywords
from pipeline.keywords.mart import MART, build_keywords, compute_keywords
from pipeline.keywords.scoring import KeywordConfig

__all__ = [
    "MART",
    "KeywordConfig",
    "build_keywords",
    "compute_keywords",
    "export_keywords",
    "listing_gaps",
    "read_listing",
    "top_keywords",
]
