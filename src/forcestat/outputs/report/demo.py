"""Example commentary for the demo: shows where analysts' words go, without making any claim
about the synthetic force's figures (those come only from measure_results)."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = {
    "background.md": (
        "*Example analyst commentary for the synthetic demo force.* Analysts write one Markdown "
        "file per section in the commentary folder (here `commentary/{period}/`). The report "
        "places each file beside the generated text of its section and never changes the "
        "file, so commentary can be drafted while the figures are refreshed.\n"
    ),
    "objective-civil_powers.md": (
        "An update on this objective goes here: the work done since the last report, what is "
        "planned next, and any risks the Board should know about. The measures linked to the "
        "objective in the framework follow.\n"
    ),
}


def write_example_commentary(folder: Path, period: str) -> Path:
    """Create ``folder/period/`` with the example files that are missing; an existing file is
    never overwritten. Returns ``folder``."""
    target = Path(folder) / period
    target.mkdir(parents=True, exist_ok=True)
    for name, text in EXAMPLES.items():
        path = target / name
        if not path.exists():
            path.write_text(text.format(period=period), encoding="utf-8")
    return Path(folder)
