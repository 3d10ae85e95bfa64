"""``forcestat report`` end to end on the small store, with a two-measure framework file."""

from __future__ import annotations

from typer.testing import CliRunner

FRAMEWORK = """
[framework]
name = "Two-measure framework"
[[themes]]
id = "demand"
title = "Demand"
description = "Recorded crime and 999 calls."
[[measures]]
id = "recorded_crime"
title = "Recorded crime"
theme = "demand"
phrase = "recorded crime"
kind = "count"
polarity = "neutral"
table = "crimes"
[[measures]]
id = "calls_999"
title = "999 calls received"
theme = "demand"
phrase = "999 calls"
kind = "count"
polarity = "neutral"
table = "calls"
filter = "channel = '999'"
[[priority_areas]]
id = "contact"
title = "Contact"
measures = ["calls_999"]
"""


def test_report_command_writes_html(store_path, tmp_path):
    from forcestat.cli import app

    fw = tmp_path / "fw.toml"
    fw.write_text(FRAMEWORK, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--store",
            store_path,
            "--period",
            "2020-03",
            "--framework",
            str(fw),
            "--format",
            "html",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    html = (out / "performance-report-2020-03.html").read_text(encoding="utf-8")
    assert "HTML:" in result.output and "performance-report-2020-03.html" in result.output
    assert 'id="m-recorded_crime"' in html and '<span class="num">5.1</span> Contact' in html
    assert not (out / "performance-report-2020-03.pdf").exists()


def test_report_command_refuses_unknown_format(store_path, tmp_path):
    from forcestat.cli import app

    result = CliRunner().invoke(
        app, ["report", "--store", store_path, "--format", "html,xls", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "--format" in result.output and "xls" in result.output
