"""The assistant engine: triage, reply suggestions and instant learning (see docs/engine.md).

The interface types import instantly; the model code (scikit-learn, ONNX Runtime) is imported
only when one of its functions is first used, so `from smartinbox.ai.engine import Triage`
stays cheap for the rest of the app.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from smartinbox.ai.engine import Engine, Evidence, MemoryItem, MessageInput, Suggestion, Triage

if TYPE_CHECKING:
    from smartinbox.ai.artifacts import ModelArtifactsError
    from smartinbox.ai.embedder import ModelIntegrityError
    from smartinbox.ai.registry import clear_engines, get_engine
    from smartinbox.ai.training import ensure_models, load_local_engine, train_default_models

_LAZY = {
    "ModelArtifactsError": "smartinbox.ai.artifacts",
    "ModelIntegrityError": "smartinbox.ai.embedder",
    "clear_engines": "smartinbox.ai.registry",
    "get_engine": "smartinbox.ai.registry",
    "ensure_models": "smartinbox.ai.training",
    "load_local_engine": "smartinbox.ai.training",
    "train_default_models": "smartinbox.ai.training",
}

__all__ = [
    "Engine",
    "Evidence",
    "MemoryItem",
    "MessageInput",
    "ModelArtifactsError",
    "ModelIntegrityError",
    "Suggestion",
    "Triage",
    "clear_engines",
    "ensure_models",
    "get_engine",
    "load_local_engine",
    "train_default_models",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
