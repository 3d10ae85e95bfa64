"""Property-based fuzzing of the loader, bounded for CI (the invariants: loader_fuzz.py; the
long campaign: scripts/fuzz.sh)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from loader_fuzz import run  # noqa: E402


def test_damaged_files_keep_the_loader_promises(tmp_path):
    # 100 damaged files through the reader, one in ten of them through whole loads (plain,
    # again, strict): about half a minute here. Derandomized: the same inputs in every run
    # (the long campaign, scripts/fuzz.sh, draws new ones).
    h = run(examples=100, root=tmp_path, load_every=10, seed=0)
    assert h.stats["inputs"] == 100
    # The damage must reach the interesting cases, or the test proves little.
    assert h.stats["files refused by the reader"] > 0 and h.stats["strict loads refused"] > 0
    assert h.stats["valid rows read exactly"] > 500 and h.stats["valid rows checked"] > 50
    assert h.stats["bad values refused"] > 0
