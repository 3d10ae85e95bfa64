"""Findings: measure_results rows -> structured findings -> ranking -> house-style sentences.

This layer selects, compares verdicts and words them; it never computes a statistic.
"""

from forcestat.findings.build import build_findings
from forcestat.findings.model import Finding, MeasureInfo
from forcestat.findings.narrative import measure_paragraph
from forcestat.findings.rank import Scored, rank, scored

__all__ = [
    "Finding",
    "MeasureInfo",
    "Scored",
    "build_findings",
    "measure_paragraph",
    "rank",
    "scored",
]
