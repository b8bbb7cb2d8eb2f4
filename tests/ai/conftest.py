"""Fixtures for the engine tests: one full training per session, shared by every test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smartinbox.ai.artifacts import MANIFEST
from smartinbox.ai.embedder import MiniLMEmbedder
from smartinbox.ai.providers.local import LocalEngine
from smartinbox.ai.training import load_local_engine

SEED_MESSAGES = {
    "complaint": "This is the third time my payment failed, what's going on??",
    "question": "Hey, can I connect my bank to this or only cards?",
    "urgent": "HELP! My store is down, and it's peak hours!",
    "casual": "Cool UI! Just checking if this works internationally?",
    "spam": "asdkjh123 iasdj",
}


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def trained(models_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The session's trained models (tests/conftest.py trains them once per code version)."""
    return models_dir, json.loads((models_dir / MANIFEST).read_text())


@pytest.fixture(scope="session")
def models_path(trained: tuple[Path, dict[str, Any]]) -> Path:
    return trained[0]


@pytest.fixture(scope="session")
def manifest(trained: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    return trained[1]


@pytest.fixture(scope="session")
def shared_engine(models_path: Path, embedder: MiniLMEmbedder) -> LocalEngine:
    """A read-only engine: tests that remember() things load their own."""
    return load_local_engine(models_path, embedder=embedder)


@pytest.fixture
def fresh_engine(models_path: Path, embedder: MiniLMEmbedder) -> LocalEngine:
    return load_local_engine(models_path, embedder=embedder)
