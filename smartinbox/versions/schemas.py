"""Pydantic input and output of the versions API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    version_tag: str
    description: str
    parent_id: int | None
    provider: str
    model: str | None
    fine_tune_id: str | None
    system_prompt: str
    few_shot: list[dict[str, Any]]
    artifacts: dict[str, Any]
    settings: dict[str, Any]
    status: str
    frozen: bool
    created_at: datetime
    promoted_at: datetime | None
    updated_at: datetime


class VersionEdit(BaseModel):
    description: str | None = Field(None, max_length=2000)
    system_prompt: str | None = Field(None, max_length=20000)
    few_shot: list[dict[str, str]] | None = Field(None, max_length=200)
    settings: dict[str, Any] | None = None


class CopyIn(BaseModel):
    description: str | None = Field(None, max_length=2000)


class DiffLineOut(BaseModel):
    op: str
    text: str


class SectionOut(BaseModel):
    key: str
    title: str
    changed: bool
    unified: str
    lines: list[DiffLineOut]


class DiffOut(BaseModel):
    old: str
    new: str
    sections: list[SectionOut]
    old_training: dict[str, Any] | None
    new_training: dict[str, Any] | None


class GateOut(BaseModel):
    candidate: str
    live: str
    promoted: bool
    reasons: list[str]
    run_id: int | None
    summary: dict[str, Any]


class RollbackOut(BaseModel):
    rolled_back_from: str
    live: str
