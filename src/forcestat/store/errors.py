"""The store's one error type (its own module, so that every backend module can raise it
without importing the connection code that chooses between them)."""

from __future__ import annotations


class StoreError(Exception):
    """A store that cannot be opened or written as asked; the message names it and says why."""
