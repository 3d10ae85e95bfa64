"""The roll-up's small helpers against numpy's own forms."""

from __future__ import annotations

import numpy as np
import pytest

from forcestat.engine.rollup import _present


@pytest.mark.parametrize(("size", "space"), [(0, 10), (5, 10), (1000, 50), (1000, 10**7)])
def test_present_is_unique_with_inverse(size, space):
    ids = np.random.default_rng(size).integers(0, space, size)
    got_values, got_inverse = _present(ids, space)
    values, inverse = np.unique(ids, return_inverse=True)
    np.testing.assert_array_equal(got_values, values)
    np.testing.assert_array_equal(got_inverse, inverse)
    np.testing.assert_array_equal(got_values[got_inverse], ids)
