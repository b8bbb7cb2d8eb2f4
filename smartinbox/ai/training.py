"""Training, saving and loading the local engine's models.

`train_default_models` trains every triage head on the data shipped in `smartinbox/ai/data`,
measures it on a stratified 20% held-out split (seed 0), then refits on all rows and writes the
models folder. The same inputs give byte-identical files, hence the same model version.
"""

from __future__ import annotations

import hashlib
import json
import platform
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from smartinbox.ai.artifacts import (
    ModelArtifactsError,
    gzip_json_bytes,
    gzip_json_lines_bytes,
    iter_gzip_json_rows,
    json_bytes,
    load_gzip_json,
    load_json,
    load_npz,
    load_verified_npz,
    npz_bytes,
    read_manifest,
    read_verified,
    write_model_dir,
)
from smartinbox.ai.calibration import FILE as CALIBRATION_FILE
from smartinbox.ai.calibration import Calibration
from smartinbox.ai.confidence import AcceptanceModel
from smartinbox.ai.corpus import bitext_rows, dataset_counts, language_check_set, load_corpus
from smartinbox.ai.custom_heads import load_custom_heads
from smartinbox.ai.embedder import FEATURE_OUTPUTS, MiniLMEmbedder
from smartinbox.ai.evaluation import fit_heads, prepare, sample_rows, score_heads
from smartinbox.ai.features import TfidfFeaturizer
from smartinbox.ai.heads import heads_from_arrays, heads_to_arrays
from smartinbox.ai.memory import ReplyMemory, StoredReply
from smartinbox.ai.providers.local import LocalEngine
from smartinbox.ai.reply_seed import account_types, build_memory, calibrate
from smartinbox.ai.triage import TriageModel

Progress = Callable[[str, float], None]

# Feature variant per head, chosen by held-out measurement (benchmarks/engine_accuracy.py):
# TF-IDF n-grams and MiniLM vectors together beat either alone on every head but gibberish,
# where character n-grams alone do best (keyboard mashing has no meaning to embed).
HEAD_VARIANTS = {
    "kind": "combined",
    "topic": "combined",
    "spam": "combined",
    "out_of_scope": "combined",
    "gibberish": "tfidf",
    "urgency": "combined",
    "sentiment": "combined",
}
_ensure_lock = threading.Lock()


def train_default_models(
    models_dir: Path,
    progress: Progress | None = None,
    *,
    sample_per_stratum: int | None = None,
    embedder: MiniLMEmbedder | None = None,
) -> dict[str, Any]:
    """Train all heads and the reply memory, write them to `models_dir`, return the manifest.

    `sample_per_stratum` caps the rows per (data set, kind) for a quick, smaller model.
    """
    started = time.perf_counter()
    report = progress or (lambda _stage, _fraction: None)
    embedder = embedder or MiniLMEmbedder()
    rows = sample_rows(load_corpus(), sample_per_stratum)
    report("loading data", 1.0)
    prepared = prepare(rows, embedder, report)

    held_out_featurizer, held_out_heads = fit_heads(prepared, prepared.train, HEAD_VARIANTS)
    metrics: dict[str, Any] = score_heads(prepared, held_out_featurizer, held_out_heads)
    report("measuring on held-out rows", 1.0)
    acceptance, metrics["reply_acceptance"] = calibrate(prepared)
    check_model = TriageModel(held_out_featurizer, held_out_heads)
    metrics["language"] = language_accuracy(check_model, embedder)

    everything = list(range(len(rows)))
    featurizer, heads = fit_heads(prepared, everything, HEAD_VARIANTS, report)
    memory = build_memory(prepared, everything)
    report("writing models", 0.5)

    vocab, idf = featurizer.state()
    vectors, active, entries = memory.snapshot()
    files = {
        "tfidf_vocabulary.json.gz": gzip_json_bytes(vocab),
        "tfidf_idf.npz": npz_bytes(dict(idf)),
        "heads.json": json_bytes({name: head.describe() for name, head in heads.items()}),
        "heads.npz": npz_bytes(heads_to_arrays(heads)),
        "memory.npz": npz_bytes({"vectors": vectors, "active": active}),
        "memory.json.gz": gzip_json_lines_bytes(_entry_row(e) for e in entries),
        "engine.json": json_bytes(
            {
                "acceptance": acceptance.to_dict(),
                "account_types": account_types(bitext_rows()),
                "embedding": {
                    "sha256": embedder.model_sha256,
                    "dimensions": vectors.shape[1],
                    "features": list(FEATURE_OUTPUTS),
                },
            }
        ),
    }
    manifest = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": dataset_counts(rows),
        "held_out_rows": len(prepared.test),
        "sample_per_stratum": sample_per_stratum,
        "metrics": metrics,
        "head_variants": HEAD_VARIANTS,
        "training_seconds": round(time.perf_counter() - started, 2),
        "libraries": _library_versions(),
    }
    files.update(_team_files(Path(models_dir), manifest))
    manifest = write_model_dir(Path(models_dir), files, manifest)
    report("done", 1.0)
    return manifest


# What a team trained or measured on its own data survives a retraining of the shipped models.
_TEAM_FILE_PREFIXES = ("custom_", "calibration")
_TEAM_MANIFEST_KEYS = ("custom_heads", "calibration")


def _team_files(models_dir: Path, manifest: dict[str, Any]) -> dict[str, bytes]:
    try:
        old_manifest, old_files = read_verified(models_dir)
    except ModelArtifactsError:
        return {}
    for key in _TEAM_MANIFEST_KEYS:
        if key in old_manifest:
            manifest[key] = old_manifest[key]
    return {k: v for k, v in old_files.items() if k.startswith(_TEAM_FILE_PREFIXES)}


def language_accuracy(model: TriageModel, embedder: MiniLMEmbedder) -> dict[str, Any]:
    checks = language_check_set()
    texts = [text for text, _ in checks]
    triaged = model.triage(texts, embedder.features(texts), "check", 0.0)
    hits = [t.language == expected for t, (_, expected) in zip(triaged, checks, strict=True)]
    return {"n": len(hits), "accuracy": round(sum(hits) / len(hits), 4)}


def load_local_engine(models_dir: Path, embedder: MiniLMEmbedder | None = None) -> LocalEngine:
    """Load a trained models folder, verifying every file against the manifest first."""
    # The vectors file is the largest: it is checked and loaded in one pass below, never held
    # as bytes (peak RSS at 100,000 replies).
    manifest, files = read_verified(Path(models_dir), except_={"memory.npz"})
    config = load_json(files["engine.json"])
    embedder = embedder or MiniLMEmbedder()
    if config["embedding"]["sha256"] != embedder.model_sha256:
        raise ModelArtifactsError(
            f"models in {models_dir} were trained with another embedding model; retrain them"
        )
    if not _reads_current_features(config):
        raise ModelArtifactsError(
            f"models in {models_dir} were trained on other triage features; retrain them "
            "(smartinbox models train)"
        )
    featurizer = TfidfFeaturizer.from_state(
        load_gzip_json(files["tfidf_vocabulary.json.gz"]), load_npz(files["tfidf_idf.npz"])
    )
    heads = heads_from_arrays(load_json(files["heads.json"]), load_npz(files["heads.npz"]))
    # The memory files are the largest; each is dropped as soon as it is read (peak RSS).
    arrays = load_verified_npz(Path(models_dir), manifest, "memory.npz")
    memory = ReplyMemory(int(config["embedding"]["dimensions"]))
    entries = [_entry_from_row(row) for row in iter_gzip_json_rows(files.pop("memory.json.gz"))]
    active = arrays["active"].astype(bool)
    vectors = arrays.pop("vectors")
    if not active.all():
        vectors = vectors[active]
    memory.add(
        [e for e, keep in zip(entries, active, strict=True) if keep],
        vectors.astype(np.float32, copy=False),
        supersede=False,
    )
    del arrays, vectors
    return LocalEngine(
        triage_model=TriageModel(featurizer, heads, custom=load_custom_heads(files)),
        memory=memory,
        acceptance=AcceptanceModel.from_dict(config["acceptance"]),
        embedder=embedder,
        account_types=config["account_types"],
        version=str(manifest["version"]),
        fingerprint=models_fingerprint(manifest),
        calibration=(
            Calibration.from_dict(load_json(files[CALIBRATION_FILE]))
            if CALIBRATION_FILE in files
            else None
        ),
    )


def models_fingerprint(manifest: dict[str, Any]) -> str:
    """One hash for a models folder's content: the manifest lists every file's checksum."""
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode("utf-8")).hexdigest()


def ensure_models(models_dir: Path, progress: Progress | None = None) -> dict[str, Any]:
    """The manifest of the models in `models_dir`, training them first if there are none."""
    with _ensure_lock:
        try:
            manifest = read_manifest(Path(models_dir))
        except ModelArtifactsError:
            return train_default_models(Path(models_dir), progress)
        try:
            config = load_json((Path(models_dir) / "engine.json").read_bytes())
        except (OSError, ValueError):
            config = {}
        if not _reads_current_features(config):
            # Trained by an earlier release on other triage features: its heads cannot read
            # this release's. Retraining carries the team's own heads' files over; those
            # trained on other features are set aside when loaded (custom_heads.py).
            return train_default_models(Path(models_dir), progress)
        return manifest


def _reads_current_features(engine_config: dict[str, Any]) -> bool:
    """Whether `engine.json`'s heads were fitted on the features this release computes."""
    return bool(engine_config.get("embedding", {}).get("features") == list(FEATURE_OUTPUTS))


def _entry_row(entry: StoredReply) -> list[str | None]:
    return [entry.message, entry.reply, entry.template, entry.source, entry.ref_id, entry.topic]


def _entry_from_row(row: list[Any]) -> StoredReply:
    message, reply, template, source, ref_id, topic = row
    return StoredReply(message, reply, template, source, ref_id, topic)


def _library_versions() -> dict[str, str]:
    import onnxruntime
    import sklearn

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "onnxruntime": onnxruntime.__version__,
    }
