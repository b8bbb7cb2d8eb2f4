"""Prompt comparison: what changed between two versions, line by line.

Three sections, the same for a hosted model and the local one: the system prompt, the few-shot
examples and the local models' settings (with the artifacts' hashes). Each is a line diff a
page can colour (`same` / `removed` / `added`) and a unified diff the CLI prints.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from smartinbox.models import AssistantVersion
from smartinbox.versions import repository as repo
from smartinbox.versions.service import get

SECTIONS = {"system_prompt": "System prompt", "few_shot": "Few-shot examples",
            "settings": "Local model settings"}  # fmt: skip
# Parts of `settings` that are records of a run rather than how the version answers.
_NOISE = {"data", "gate"}


@dataclass
class DiffLine:
    op: str  # same | removed | added
    text: str


@dataclass
class Section:
    key: str
    title: str
    old: str
    new: str
    lines: list[DiffLine] = field(default_factory=list)
    unified: str = ""

    @property
    def changed(self) -> bool:
        return self.old != self.new


def _few_shot_text(version: AssistantVersion) -> str:
    blocks = []
    for i, shot in enumerate(version.few_shot, 1):
        parts = [f"#{i}"] + [f"{k}: {v}" for k, v in sorted(shot.items())]
        blocks.append("\n".join(parts))
    return "\n\n".join(blocks)


def _settings_text(version: AssistantVersion) -> str:
    settings = {k: v for k, v in version.settings.items() if k not in _NOISE}
    record: dict[str, Any] = {"provider": version.provider, "model": version.model,
                              "fine_tune_id": version.fine_tune_id, "settings": settings,
                              "artifacts": version.artifacts}  # fmt: skip
    return json.dumps(record, indent=2, sort_keys=True, default=str)


def section_text(version: AssistantVersion, key: str) -> str:
    if key == "system_prompt":
        return version.system_prompt
    if key == "few_shot":
        return _few_shot_text(version)
    return _settings_text(version)


def line_diff(old: str, new: str) -> list[DiffLine]:
    a, b = old.splitlines(), new.splitlines()
    out: list[DiffLine] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(DiffLine("same", line) for line in a[i1:i2])
            continue
        out.extend(DiffLine("removed", line) for line in a[i1:i2])
        out.extend(DiffLine("added", line) for line in b[j1:j2])
    return out


def diff_versions(old: AssistantVersion, new: AssistantVersion) -> list[Section]:
    sections = []
    for key, title in SECTIONS.items():
        a, b = section_text(old, key), section_text(new, key)
        unified = "\n".join(
            difflib.unified_diff(
                a.splitlines(),
                b.splitlines(),
                f"{old.version_tag}/{key}",
                f"{new.version_tag}/{key}",
                lineterm="",
            )
        )
        sections.append(Section(key, title, a, b, line_diff(a, b), unified))
    return sections


def training_prompt_info(session: Session, version: AssistantVersion) -> dict[str, Any] | None:
    """`version`, `improvement_notes` and `updated_at` of the version's newest training prompt."""
    row = repo.latest_training_prompt(session, version.id)
    if row is None:
        return None
    return {"version": row.version, "improvement_notes": row.improvement_notes,
            "updated_at": row.updated_at.isoformat()}  # fmt: skip


def compare(session: Session, old_tag: str, new_tag: str) -> dict[str, Any]:
    old, new = get(session, old_tag), get(session, new_tag)
    return {
        "old": old,
        "new": new,
        "sections": diff_versions(old, new),
        "old_training": training_prompt_info(session, old),
        "new_training": training_prompt_info(session, new),
    }
