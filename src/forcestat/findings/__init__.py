"""Findings: measure_results rows -> structured findings -> ranking -> house-style sentences.

This layer selects, compares verdicts and words them; it never computes a statistic.
"""

from forcestat.findings.build import build_findings
from forcestat.findings.model import Finding, MeasureInfo, Statement
from forcestat.findings.narrative import measure_paragraph, tell
from forcestat.findings.rank import Scored, rank, scored

__all__ = [
    "Finding",
    "MeasureInfo",
    "Scored",
    "Statement",
    "build_findings",
    "measure_paragraph",
    "rank",
    "scored",
    "tell",
]
