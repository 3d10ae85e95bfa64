"""Case audit schemes (VCOP compliance, domestic abuse scrutiny) as configuration.

A scheme names what is sampled each period (case types, sizes, populations, strata) and the
questions of its form, each with its closed list of answers, the answers that meet the standard
(``compliant``) and those that take a case out of the question's base (``not_applicable``).
The packaged ``audit_schemes.toml`` holds the two schemes of the reference Board report; a force
passes its own file to ``forcestat audit ... --schemes FILE``.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .schema import AUDIT_CASE_TYPES

# The populations a sample can be drawn from (``audit_sample.POPULATIONS`` holds their SQL).
POPULATION_NAMES = ("victim_based", "domestic_abuse", "stalking", "cracked_or_ineffective_da")
# Strata a crime sample can be stratified by: columns of crimes.
STRATA_COLUMNS = ("offence_group", "district")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sample(_Strict):
    case_type: Literal["crime", "stalking", "court_case"]
    size: int = Field(gt=0)
    population: Literal["victim_based", "domestic_abuse", "stalking", "cracked_or_ineffective_da"]
    stratify: list[Literal["offence_group", "district"]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _court_cases(self) -> Sample:
        court = self.population == "cracked_or_ineffective_da"
        if court != (self.case_type == "court_case"):
            raise ValueError("court_case samples (and only they) draw cracked_or_ineffective_da")
        if court and self.stratify:
            raise ValueError("court case samples are not stratified")
        return self


class Question(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str
    answers: list[str] = Field(min_length=1)
    compliant: list[str] = Field(default_factory=list)
    not_applicable: list[str] = Field(default_factory=list)
    applies_to: list[Literal["crime", "stalking", "court_case"]] = Field(
        default_factory=lambda: list(AUDIT_CASE_TYPES)
    )

    @model_validator(mode="after")
    def _answers(self) -> Question:
        for key in ("compliant", "not_applicable"):
            extra = set(getattr(self, key)) - set(self.answers)
            if extra:
                raise ValueError(f"{key}: {sorted(extra)} are not among the answers")
        both = set(self.compliant) & set(self.not_applicable)
        if both:
            raise ValueError(f"{sorted(both)} both compliant and not applicable")
        return self

    def compliant_of(self, answer: str) -> bool | None:
        """True/False: the answer meets the standard or not; None: not applicable."""
        if answer in self.not_applicable:
            return None
        return answer in self.compliant


class Scheme(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    period: Literal["month", "quarter"]
    description: str | None = None
    samples: list[Sample] = Field(min_length=1)
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Scheme:
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError("a question id is used twice")
        types = [s.case_type for s in self.samples]
        if len(set(types)) != len(types):
            raise ValueError("a case type is sampled twice")
        return self

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)

    def questions_for(self, case_type: str) -> list[Question]:
        return [q for q in self.questions if case_type in q.applies_to]


class Schemes(_Strict):
    schemes: list[Scheme]

    def get(self, name: str) -> Scheme:
        """The scheme called ``name`` (a dash spells an underscore: da-scrutiny)."""
        key = name.replace("-", "_")
        for s in self.schemes:
            if s.id == key:
                return s
        known = ", ".join(s.id.replace("_", "-") for s in self.schemes)
        raise KeyError(f"unknown audit scheme {name!r} (schemes: {known})")


def default_schemes_path() -> Path:
    return Path(str(resources.files("forcestat.store") / "audit_schemes.toml"))


def load_schemes(path: str | Path | None = None) -> Schemes:
    """The schemes in ``path`` (default: the packaged file); ValueError naming the file and
    every problem."""
    p = default_schemes_path() if path is None else Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
        return Schemes.model_validate(data)
    except OSError as exc:
        raise ValueError(f"{p}: cannot read the audit schemes: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{p}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(f"{p}: {problems}") from None
