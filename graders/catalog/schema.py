"""The shape of courses/*.yaml and assignments/*.yaml, as pydantic models.

Points are deliberately absent: they live only in the notebooks' nbgrader metadata.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ID_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Title(Strict):
    en: str = Field(min_length=1)
    ko: str = Field(min_length=1)


class Tags(Strict):
    certifications: list[str] = Field(min_length=1)
    job_tasks: list[str] = Field(min_length=1)


class Limits(Strict):
    cell_seconds: int = Field(gt=0, le=3600)
    notebook_seconds: int = Field(gt=0, le=6 * 3600)

    @model_validator(mode="after")
    def _cell_within_notebook(self) -> "Limits":
        if self.cell_seconds > self.notebook_seconds:
            raise ValueError("cell_seconds cannot exceed notebook_seconds")
        return self


class Assignment(Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: Title
    track: Literal["datacenter", "quantum"]
    objectives: list[str] = Field(min_length=1)
    prerequisites: list[str] = []
    estimated_minutes: int = Field(gt=0, le=600)
    tags: Tags
    limits: Limits


class Slot(Strict):
    assignment: str = Field(pattern=ID_PATTERN)
    release: dt.date
    due: dt.date

    @model_validator(mode="after")
    def _due_after_release(self) -> "Slot":
        if self.due <= self.release:
            raise ValueError("due must be after release")
        return self


class Course(Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: Title
    language: Literal["en", "ko"]
    city: str = Field(min_length=1)
    assignments: list[str] = Field(min_length=1)
    # Translated editions offered, by language: {"ko": ["dc01-power"]} means the course also
    # runs dc01-power-ko (generated from i18n/ko/dc01-power.po), with the same grades.
    editions: dict[Literal["ko"], list[str]] = {}
    schedule: list[Slot]
