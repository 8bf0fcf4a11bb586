"""Fake-review signals: dense reviewer x product blocks (rings) and other behavioural checks."""
