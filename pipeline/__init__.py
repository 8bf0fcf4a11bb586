"""ReviewPulse: ingest, validate, score and report product reviews and seller feedback."""

__version__ = "0.1.0"
