"""Wording never outruns the data: no significance without a significant verdict, no trend
without the trend column, no figure or comparison for a base that is too small."""

import itertools
import random
import re

import pytest
from findings_helpers import AREAS, Measure, area, cmp, district, row

from forcestat.findings import build_findings, measure_paragraph
from forcestat.findings.model import KINDS, POLARITIES, SPC_SIGNALS, TRENDS, VERDICTS

BASES = {  # name -> (n, small_base, suppressed)
    "ok": (971, False, False),
    "caution_n": (63, False, False),
    "caution_flag": (971, True, False),
    "too_few": (34, False, False),
    "suppressed": (971, False, True),
}
CLAIM = {
    side: re.compile(rf"(?<!not )(?<!not to record )significantly {side}")
    for side in ("higher", "lower")
}
TREND_WORDS = {
    "upwards": "trending upwards",
    "downwards": "trending downwards",
    "halted_downwards": "downward trend has been halted",
    "halted_upwards": "upward trend has been halted",
}


def measure(kind, polarity, mass=False):
    unit_label = "minutes" if kind in ("median", "mean") else None
    phrase = (
        ("test crime" if mass else "test events") if kind == "count" else f"test {kind} measure"
    )
    return Measure(f"m_{kind}", phrase, kind, polarity, unit_label=unit_label)


def check(text_rows, sentences, findings):
    text = " ".join(sentences)
    for bad in ("None", "nan", "{", "}", "  "):
        assert bad not in text, text
    for s in sentences:
        assert s[:1].isupper() or s[:1].isdigit(), s
        assert s.endswith("."), s
    for side, pattern in CLAIM.items():
        if pattern.search(text):
            assert any(
                f.is_significant and f.reportable and f.verdict == f"significantly_{side}"
                for f in findings
            ), text
    for trend, words in TREND_WORDS.items():
        if words in text:
            assert any(r["trend"] == trend for r in text_rows), text
    if "special cause" in text:
        assert any(r["spc_signal"] in ("concern", "improvement", "neutral") for r in text_rows)
    if "deteriorated" in text:
        assert any(f.direction == "worse" and f.reportable for f in findings), text
    if "double digit growth" in text:
        assert any(
            f.comparator == "previous_year"
            and f.diff
            and f.comparator_value
            and f.diff / f.comparator_value >= 0.1
            for f in findings
        ), text


SINGLE_CASES = [(k, p, False) for k, p in itertools.product(KINDS, POLARITIES)] + [
    ("count", p, True)
    for p in POLARITIES  # mass-noun count phrases word differently
]


@pytest.mark.parametrize(("kind", "polarity", "mass"), SINGLE_CASES)
def test_single_rows_never_overclaim(kind, polarity, mass):
    m = measure(kind, polarity, mass)
    combos = itertools.product(VERDICTS, BASES, TRENDS, (-1.5, 0.4, 12.0))
    for i, (verdict, base, trend, diff) in enumerate(combos):
        spc = SPC_SIGNALS[i % len(SPC_SIGNALS)]  # cycled: every signal meets every kind
        n, small, suppressed = BASES[base]
        value = 60.0 if kind != "count" else 600.0
        r = row(
            m,
            value,
            n,
            small_base=small,
            suppressed=suppressed,
            trend=trend,
            spc_signal=spc,
            previous_year=cmp(value - diff, verdict, diff=diff),
        )
        findings = build_findings([r], [m])
        sentences = measure_paragraph(m, [r])
        check([r], sentences, findings)
        text = " ".join(sentences)
        if not verdict.startswith("significantly_"):
            assert "significantly" not in text
        if trend == "none":
            assert "trend" not in text
        based = kind in ("proportion", "median", "mean")
        unreportable = suppressed or (based and n < 50)
        if unreportable:
            if suppressed and based and n >= 50:
                assert "is not reported: the numbers involved are too small" in sentences[0]
            elif kind == "count" and m.phrase == "test crime":
                assert "too small to report" in sentences[0]
            else:
                assert "too few" in sentences[0]
            assert "significantly" not in text and "comparable" not in text
            assert "This is" not in text and "%" not in sentences[0]
            assert "trend" not in text and "special cause" not in text
            if suppressed:
                assert "n = " not in text
        elif base == "caution_flag" or (
            base == "caution_n" and kind in ("proportion", "median", "mean")
        ):
            assert "treat with caution" in text


def test_random_geographies_never_overclaim():
    rng = random.Random(20200526)
    districts = sorted(AREAS)
    for case in range(200):
        kind = rng.choice(KINDS)
        m = measure(kind, rng.choice(POLARITIES), mass=rng.random() < 0.5)

        def pick(kind=kind):
            n, small, suppressed = BASES[rng.choice(list(BASES))]
            value = rng.uniform(30, 70) if kind != "count" else float(rng.randint(10, 900))
            kw = {
                "small_base": small,
                "suppressed": suppressed,
                "trend": rng.choice(TRENDS),
                "spc_signal": rng.choice(SPC_SIGNALS),
            }
            for name in ("previous_year", "year_end", "long_term"):
                if rng.random() < 0.7:
                    before = value * rng.uniform(0.7, 1.3)
                    kw[name] = cmp(before, rng.choice(VERDICTS))
            return value, n, kw

        rows = []
        if rng.random() < 0.8:
            value, n, kw = pick()
            rows.append(row(m, value, n, **kw))
        for name in ("North", "South"):
            if rng.random() < 0.7:
                value, n, kw = pick()
                rows.append(area(m, name, value, n, **kw))
        for name in districts:
            if rng.random() < 0.8:
                value, n, kw = pick()
                rows.append(district(m, name, value, n, **kw))
        findings = build_findings(rows, [m])
        sentences = measure_paragraph(m, rows, areas=AREAS)
        check(rows, sentences, findings)
        shuffled = rows[:]
        rng.shuffle(shuffled)
        assert measure_paragraph(m, shuffled, areas=AREAS) == sentences, case
