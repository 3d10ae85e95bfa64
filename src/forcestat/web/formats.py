"""A table of rows as JSON, CSV, Parquet or XLSX (``format=`` on tabular endpoints)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from forcestat.web.query import Table

FORMATS = ("json", "csv", "parquet", "xlsx")
MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def clean(value: Any) -> Any:
    """JSON has no NaN or infinity: a missing figure is null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, default=str).encode()


def _flat(value: Any) -> Any:
    """Cells of a flat file: a list (a finding's units) as JSON text."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return clean(value)


def render(table: Table, fmt: str, name: str, meta: Mapping[str, Any]) -> Response:
    """The response for ``table`` in ``fmt``; JSON wraps the rows with ``meta`` (edition,
    snapshot, framework) so that a saved answer says what it was computed from."""
    if fmt == "json":
        rows = [{c: clean(v) for c, v in zip(table.columns, r, strict=True)} for r in table.rows]
        body = json_bytes({**meta, "count": len(rows), "rows": rows})
        return Response(body, media_type=MEDIA["json"])
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(table.columns)
        for r in table.rows:
            w.writerow(["" if v is None else _flat(v) for v in r])
        return Response(buf.getvalue().encode(), media_type=MEDIA["csv"], headers=headers)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        cols = list(zip(*table.rows, strict=True)) if table.rows else [()] * len(table.columns)
        arrays = {
            c: pa.array([_flat(v) for v in col]) for c, col in zip(table.columns, cols, strict=True)
        }
        sink = io.BytesIO()
        pq.write_table(pa.table(arrays), sink)
        return Response(sink.getvalue(), media_type=MEDIA["parquet"], headers=headers)
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(name[:31])
        ws.append(table.columns)
        for r in table.rows:
            ws.append([_flat(v) for v in r])
        sink = io.BytesIO()
        wb.save(sink)
        return Response(sink.getvalue(), media_type=MEDIA["xlsx"], headers=headers)
    raise ValueError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
