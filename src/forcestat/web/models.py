"""The API's documented shapes (OpenAPI): what every JSON answer holds. The endpoints build
their JSON themselves (faster than validating thousands of rows); the schema test
(Schemathesis) checks that every answer matches these models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from forcestat.engine.results import _BOOL, _FLOAT, COLUMNS


class Problem(BaseModel):
    """An error (RFC 9457, ``application/problem+json``); never a stack trace."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


def _result_row() -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for c in COLUMNS:
        if c in _FLOAT:
            fields[c] = (float | None, None)
        elif c in _BOOL:
            fields[c] = (bool, False)
        elif c.endswith("_verdict"):
            fields[c] = (str, ...)
        else:
            fields[c] = (str | None, None)
    for c in ("measure_id", "breakdown", "unit", "period_end", "window"):
        fields[c] = (str, ...)
    # The public edition's disclosure decisions: "primary", "secondary" or "".
    fields["disclosure"] = (str | None, None)
    fields["previous_disclosure"] = (str | None, None)
    return create_model(
        "ResultRow",
        __config__=ConfigDict(extra="forbid"),
        __doc__="A measure_results row.",
        **fields,
    )


ResultRow = _result_row()


class Page(BaseModel):
    edition: Literal["board", "public"]
    snapshot: str = Field(description="The data snapshot the rows were computed from.")
    framework: str = Field(description="The framework hash.")
    count: int


class ResultsPage(Page):
    period: str | None
    rows: list[ResultRow]  # type: ignore[valid-type]


class SeriesRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    measure_id: str
    breakdown: str
    unit: str
    period_end: str = Field(description="The period the chart is drawn to.")
    month: str
    value: float | None
    mean: float | None
    ucl: float | None
    lcl: float | None
    signal: str | None = Field(description="The SPC rule the point is part of, if any.")
    direction: str | None
    point_type: Literal["improvement", "concern", "neutral", "common_cause"]
    trial: bool
    segment: int
    base: float | None = Field(description="Records behind the month.")
    method: str
    icon: str
    kind: str
    polarity: str
    outcome_lag: int | None


class SeriesPage(Page):
    measure: str
    rows: list[SeriesRow]


class UnitKey(BaseModel):
    breakdown: str
    unit: str


class FindingRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    measure_id: str
    period_end: str
    seq: int
    role: Literal["headline", "detail", "caution"]
    text: str
    verdict: str | None
    units: list[UnitKey]


class FindingsPage(Page):
    period: str | None
    rows: list[FindingRow]


class PeriodsPage(BaseModel):
    edition: Literal["board", "public"]
    snapshot: str
    framework: str
    refreshed_at: str
    periods: list[str]
    latest: str | None


class MeasureInfo(BaseModel):
    id: str
    title: str
    description: str | None
    kind: str
    polarity: str
    theme: str | None
    priority_areas: list[str]
    table: str
    breakdowns: list[str]
    windows: list[str]
    comparators: list[str]
    available: bool = Field(description="Whether the store's data support the measure.")


class MeasuresPage(BaseModel):
    framework: str
    measures: list[MeasureInfo]


class SessionInfo(BaseModel):
    authenticated: bool
    user: str | None = None
    role: str | None = None
    unit: str | None = None
    csrf_token: str = Field(description="Send as X-CSRF-Token on every state-changing request.")


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)
