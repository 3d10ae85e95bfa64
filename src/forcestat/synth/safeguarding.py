"""Safeguarding referrals: the support referrals of ``victims.generate_referrals`` (Hub, SARC,
IDVA, DA Alliance; the same rows and ids, so the two tables agree) plus MARAC referrals of
high-risk domestic abuse victims and Operation Encompass notifications to the schools of
children in domestic abuse households."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store.schema import SAFEGUARDING_REFERRALS
from . import calibration as cal
from . import columns as C
from .calendar import DAY, Period
from .crimes import Crimes
from .draw import mix

HOUR = 3600


def generate_safeguarding(
    crimes: Crimes, period: Period, rng: np.random.Generator, referrals: pa.Table
) -> pa.Table:
    s = crimes.strata
    da = s.da[crimes.stratum]
    high = da & (crimes.risk == 2)
    marac = np.flatnonzero(high & (rng.random(crimes.n) < cal.MARAC_RATE_HIGH_RISK))
    marac_at = crimes.recorded_at[marac] + rng.integers(2 * HOUR, 2 * DAY, len(marac))
    children = da & (rng.random(crimes.n) < cal.DA_CHILDREN_PRESENT)
    enc = np.flatnonzero(children & (rng.random(crimes.n) < cal.ENCOMPASS_NOTIFIED))
    enc_at = crimes.recorded_at[enc] + rng.integers(2 * HOUR, 3 * DAY, len(enc))
    new_crime = np.r_[marac, enc]
    new_at = np.r_[marac_at, enc_at]
    new_kind = np.r_[
        np.full(len(marac), "marac", dtype=object),
        np.full(len(enc), "operation_encompass", dtype=object),
    ]
    new_out = np.r_[
        mix(rng, cal.MARAC_OUTCOMES, len(marac)).astype(object),
        mix(rng, cal.ENCOMPASS_OUTCOMES, len(enc)).astype(object),
    ]
    keep = new_at < period.cut
    order = np.flatnonzero(keep)[np.argsort(new_at[keep], kind="stable")]
    k = len(order)

    # The support referrals, as the referrals table has them.
    pos = pc.index_in(referrals["crime_id"], value_set=crimes.ids).to_numpy(zero_copy_only=False)
    ref_crime = np.where(np.isnan(pos.astype(float)), -1, np.nan_to_num(pos)).astype(np.int64)
    pp = crimes.people
    parts = {
        "referral_id": [referrals["referral_id"], C.ids(f"{crimes.force.code}-G", k, 8)],
        "kind": [referrals["service"], pa.array(new_kind[order].tolist(), pa.string())],
        "referred_at": [referrals["referred_at"], C.timestamps(new_at[order])],
        "crime_id": [referrals["crime_id"], C.take(crimes.ids, new_crime[order])],
        "victim_id": [
            C.take(crimes.victim_ids, ref_crime, (ref_crime < 0) | (pp.victim[ref_crime] < 0)),
            C.take(crimes.victim_ids, new_crime[order], pp.victim[new_crime[order]] < 0),
        ],
        "outcome": [referrals["result"], pa.array(new_out[order].tolist(), pa.string())],
        "district": [
            referrals["district"],
            C.labels(crimes.force.district_names, crimes.district[new_crime[order]]),
        ],
    }
    n = referrals.num_rows + k
    cols = {name: pa.concat_arrays([_flat(a) for a in arrays]) for name, arrays in parts.items()}
    tbl = C.build(SAFEGUARDING_REFERRALS, cols, n)
    return tbl.sort_by("referral_id")


def _flat(a) -> pa.Array:
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
