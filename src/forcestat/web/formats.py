"""A table of rows as JSON, CSV, Parquet or XLSX (``format=`` on tabular endpoints)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import orjson
import pyarrow as pa
from starlette.responses import Response

from forcestat.web.query import Table

FORMATS = ("json", "csv", "parquet", "xlsx")
MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def json_bytes(payload: Any) -> bytes:
    """JSON as the API writes it: floats exactly (shortest round-trip form), NaN as null."""
    return orjson.dumps(payload, default=str)


def _flat(table: pa.Table) -> pa.Table:
    """Columns a flat file cannot hold (a finding's units: a list) as JSON text."""
    for i, field in enumerate(table.schema):
        if pa.types.is_list(field.type) or pa.types.is_struct(field.type):
            text = pa.array(
                [json.dumps(v, ensure_ascii=False) for v in table.column(i).to_pylist()]
            )
            table = table.set_column(i, field.name, text)
    return table


def render(table: Table, fmt: str, name: str, meta: Mapping[str, Any]) -> Response:
    """The response for ``table`` in ``fmt``; JSON wraps the rows with ``meta`` (edition,
    snapshot, framework) so that a saved answer says what it was computed from."""
    if fmt == "json":
        body = json_bytes({**meta, "count": len(table), "rows": table.records()})
        return Response(body, media_type=MEDIA["json"])
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    flat = _flat(table.table)
    sink = io.BytesIO()
    if fmt == "csv":
        import pyarrow.csv as pcsv

        pcsv.write_csv(flat, sink)
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table.table, sink)
    elif fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(name[:31])
        ws.append(flat.column_names)
        for row in flat.to_pylist():
            ws.append(list(row.values()))
        wb.save(sink)
    else:
        raise ValueError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    return Response(sink.getvalue(), media_type=MEDIA[fmt], headers=headers)
