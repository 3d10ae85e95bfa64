"""Random streams: one independent numpy stream per (force, table), derived from the seed.

Each stream is keyed by names rather than by position, so adding a table (or a force) never
changes the numbers drawn for the others.
"""

from __future__ import annotations

import zlib

import numpy as np


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, force: str, table: str) -> np.random.Generator:
    seq = np.random.SeedSequence(entropy=int(seed), spawn_key=(_key(force), _key(table)))
    return np.random.Generator(np.random.PCG64(seq))
