"""forcestat: police performance reporting from record-level data."""

__version__ = "0.1.0"
