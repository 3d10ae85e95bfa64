"""``forcestat measures``: writes measure_results by extension; bad input fails with a message."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from forcestat.cli import app
from forcestat.engine import COLUMNS

runner = CliRunner()


@pytest.mark.parametrize("ext", ["parquet", "csv", "json"])
def test_measures_writes_by_extension(store_path, tmp_path, ext):
    out = tmp_path / f"results.{ext}"
    args = ["measures", "--store", store_path, "--period", "2020-03", "--out", str(out)]
    res = runner.invoke(app, [*args, "--measure", "calls_999", "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "measure_results:" in res.output
    if ext == "parquet":
        df = pd.read_parquet(out)
    elif ext == "csv":
        df = pd.read_csv(out)
    else:
        df = pd.DataFrame(json.loads(out.read_text()))
    assert list(df.columns) == list(COLUMNS)
    assert set(df.measure_id) == {"calls_999"} and set(df.period_end.astype(str)) == {"2020-03"}


def test_measures_rejects_a_bad_framework(store_path, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[themes]]\nid = "t"\ntitle = "T"\n[[measures]]\nid = "x"\ntitle = "x"\n'
        'theme = "t"\nphrase = "x"\nkind = "count"\npolarity = "neutral"\n'
        'table = "crime"\n'
    )
    res = runner.invoke(
        app, ["measures", "--store", store_path, "--framework", str(bad), "--out", "x.csv"]
    )
    assert res.exit_code == 2
    assert "measure 'x'" in res.output and "'crime'" in res.output


def test_measures_rejects_unknown_format_and_measure(store_path, tmp_path):
    res = runner.invoke(app, ["measures", "--store", store_path, "--out", "x.xlsx"])
    assert res.exit_code == 2 and "unknown output format" in res.output
    out = str(tmp_path / "x.csv")
    res = runner.invoke(app, ["measures", "--store", store_path, "--out", out, "--measure", "nope"])
    assert res.exit_code == 2 and "nope" in res.output
