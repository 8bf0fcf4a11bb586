"""Errors the pipeline raises on purpose, each with a one-line message meant for people."""


class ReviewPulseError(Exception):
    """Base class for errors the CLI reports in one line without a traceback."""


class BatchError(ReviewPulseError):
    """A whole file cannot be loaded (missing column, unknown format, unreadable file).

    Nothing from the file is loaded when this is raised.
    """


class ConfigError(ReviewPulseError):
    """A setting or argument is wrong."""
