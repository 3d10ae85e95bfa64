"""Rebuild this folder's slices from the real files (../shared/data/real, see SOURCES.md there).

Rows are copied byte for byte (header plus every Nth data line); outcomes rows are those whose
Crime ID is in a street slice. Run from the repository root:
    .venv/bin/python tests/data/police_uk/slice.py ../shared/data/real
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def lines(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        return fh.read().splitlines(keepends=True)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        # mtime=0: the same slice always gives the same bytes.
        with gzip.GzipFile(path, "wb", mtime=0) as fh:
            fh.write(text.encode("utf-8"))
    else:
        path.write_text(text, encoding="utf-8", newline="")


def every(src: Path, dst: Path, n: int) -> set[str]:
    head, *rows = lines(src)
    keep = rows[n - 1 :: n]
    write(dst, head + "".join(keep))
    return {r[0] for r in csv.reader(io.StringIO("".join(keep))) if r and r[0]}


def matching(src: Path, dst: Path, ids: set[str]) -> int:
    head, *rows = lines(src)
    keep = [r for r in rows if r.split(",", 1)[0] in ids]
    if keep:
        write(dst, head + "".join(keep))
    return len(keep)


def select(src: Path, dst: Path, keep_row) -> None:
    with open(src, encoding="utf-8", newline="") as fh:
        text = fh.read()
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for row in reader:
        if keep_row(dict(zip(header, row, strict=True))):
            w.writerow(row)
    write(dst, out.getvalue())


def main(real: Path) -> None:
    cam = real / "police_uk" / "cambridgeshire"
    ids = every(
        cam / "street/2019-01-cambridgeshire-street.csv",
        HERE / "street/2019-01-cambridgeshire-street.csv",
        25,
    )
    for src in sorted((cam / "outcomes").glob("2019-*.csv")):
        out = src.name if src.name.startswith("2019-01") else src.name + ".gz"
        matching(src, HERE / "outcomes" / out, ids)
    every(
        cam / "street/2019-02-cambridgeshire-street.csv",
        HERE / "street/2019-02-cambridgeshire-street.csv.gz",
        60,
    )
    ids24 = every(
        cam / "street/2024-01-cambridgeshire-street.csv",
        HERE / "street/2024-01-cambridgeshire-street.csv",
        60,
    )
    for m in ("2024-01", "2024-02", "2024-03"):
        matching(
            cam / f"outcomes/{m}-cambridgeshire-outcomes.csv",
            HERE / f"outcomes/{m}-cambridgeshire-outcomes.csv",
            ids24,
        )
    every(
        real / "police_uk/national_2019-01/2019-01-btp-street.csv.gz",
        HERE / "other_forces/2019-01-btp-street.csv.gz",
        400,
    )
    every(
        real / "police_uk/national_2019-01/2019-01-norfolk-street.csv.gz",
        HERE / "other_forces/2019-01-norfolk-street.csv.gz",
        300,
    )
    ho, nat = real / "home_office", HERE / "national"
    years = {"2017/18", "2018/19", "2019/20"}
    select(
        ho / "pfa_recorded_crime_by_financial_year.csv",
        nat / "pfa_recorded_crime_by_financial_year.csv",
        lambda r: r["fy"] in years,
    )
    select(
        ho / "pfa_outcomes_by_financial_year_subset.csv",
        nat / "pfa_outcomes_by_financial_year_subset.csv",
        lambda r: r["fy"] in years,
    )
    select(
        real / "population/ons_mid_year_population_lad19_2001_2019.csv",
        nat / "ons_mid_year_population_lad19_2018_2019.csv",
        lambda r: r["year"] in ("2018", "2019"),
    )
    select(
        real / "ons_css/ons_crime_severity_score_pfa_by_offence_group_fy2003_2022.csv",
        nat / "ons_crime_severity_score_cambs_ew_fy2019_2020.csv",
        lambda r: (
            r["code"] in ("E23000023", "K04000001")
            and r["year_ending"] in ("2019-03-31", "2020-03-31")
        ),
    )


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/real"))
