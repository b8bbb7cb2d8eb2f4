from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from smartinbox.ai.artifacts import MANIFEST, ModelArtifactsError, sha256_bytes
from smartinbox.ai.embedder import MiniLMEmbedder, ModelIntegrityError, verify_model_file
from smartinbox.ai.training import ensure_models, load_local_engine, train_default_models


def test_manifest_lists_checksummed_files_rows_and_metrics(
    models_path: Path, manifest: dict[str, Any]
) -> None:
    on_disk = json.loads((models_path / MANIFEST).read_text())
    assert on_disk["version"] == manifest["version"]
    assert manifest["version"].startswith("local-")
    for name, digest in manifest["files"].items():
        assert sha256_bytes((models_path / name).read_bytes()) == digest
    assert set(manifest["rows"]) == {"bitext", "sms", "clinc", "handwritten", "real"}
    assert manifest["rows"]["bitext"] == 4514
    assert manifest["created_at"]
    metrics = manifest["metrics"]
    assert metrics["kind"]["macro_f1"] > 0.85
    assert metrics["topic"]["accuracy"] > 0.9
    assert metrics["out_of_scope"]["recall"] > 0.85
    assert metrics["reply_acceptance"]["auc"] > 0.8


def test_load_gives_the_manifest_version(models_path: Path, manifest: dict[str, Any]) -> None:
    assert load_local_engine(models_path).version == manifest["version"]


def test_tampered_file_is_refused(models_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "models"
    shutil.copytree(models_path, copy)
    heads = copy / "heads.json"
    heads.write_text(heads.read_text().replace("combined", "tfidf", 1))
    with pytest.raises(ModelArtifactsError, match="checksum"):
        load_local_engine(copy)


def test_a_tampered_vectors_file_is_refused(models_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "models"
    shutil.copytree(models_path, copy)
    with (copy / "memory.npz").open("r+b") as handle:  # one byte flipped, size unchanged
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelArtifactsError, match=r"memory\.npz does not match its checksum"):
        load_local_engine(copy)


def test_memory_rows_are_read_one_at_a_time_and_old_files_still_load(tmp_path: Path) -> None:
    from smartinbox.ai.artifacts import gzip_json_bytes, gzip_json_lines_bytes, iter_gzip_json_rows

    rows = [["Where is my order?", "It ships today, {customer_name}.", "t", "seed", None, "orders"],
            ["Héllo\nthere", "Bonjour", "t", "seed", "r1", "casual"]]  # fmt: skip
    lines = gzip_json_lines_bytes(rows)
    assert lines == gzip_json_lines_bytes(iter(rows))  # byte-stable
    assert list(iter_gzip_json_rows(lines)) == rows
    assert list(iter_gzip_json_rows(gzip_json_bytes(rows))) == rows  # one JSON array: before
    assert list(iter_gzip_json_rows(gzip_json_bytes([]))) == []
    assert list(iter_gzip_json_rows(gzip_json_lines_bytes([]))) == []


def test_missing_models_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelArtifactsError, match="no trained models"):
        load_local_engine(tmp_path / "nothing-here")


def test_embedding_model_checksum_is_verified(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        verify_model_file(fake, "0" * 64)
    with pytest.raises(ModelIntegrityError):
        MiniLMEmbedder(model_path=fake)


def test_training_is_deterministic(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    first = train_default_models(tmp_path / "a", sample_per_stratum=12, embedder=embedder)
    second = train_default_models(tmp_path / "b", sample_per_stratum=12, embedder=embedder)
    assert first["files"] == second["files"]
    assert first["version"] == second["version"]
    assert first["metrics"] == second["metrics"]


def test_ensure_models_trains_only_when_missing(
    tmp_path: Path, models_path: Path, manifest: dict[str, Any]
) -> None:
    existing = tmp_path / "existing"
    shutil.copytree(models_path, existing)
    stamp = (existing / MANIFEST).stat().st_mtime_ns
    assert ensure_models(existing)["version"] == manifest["version"]
    assert (existing / MANIFEST).stat().st_mtime_ns == stamp


def test_retraining_replaces_the_folder_atomically(
    tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    target = tmp_path / "models"
    stages: list[str] = []
    train_default_models(target, sample_per_stratum=8, embedder=embedder)
    (target / "stray.txt").write_text("left from an old run")
    train_default_models(
        target, lambda stage, _f: stages.append(stage), sample_per_stratum=8, embedder=embedder
    )
    assert not (target / "stray.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models"]
    assert stages[-1] == "done" and "writing models" in stages


def test_models_trained_on_other_triage_features_are_refused_then_retrained(
    models_path: Path, tmp_path: Path, embedder: MiniLMEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smartinbox.ai import training
    from smartinbox.ai.artifacts import json_bytes, update_model_dir

    copy = tmp_path / "models"
    shutil.copytree(models_path, copy)
    config = json.loads((copy / "engine.json").read_text())
    config["embedding"]["features"] = ["last_hidden_state"]  # what an earlier release read
    update_model_dir(copy, {"engine.json": json_bytes(config)}, {})
    with pytest.raises(ModelArtifactsError, match="other triage features"):
        load_local_engine(copy, embedder=embedder)

    retrained: list[Path] = []

    def small_training(models_dir: Path, progress: Any = None) -> dict[str, Any]:
        retrained.append(models_dir)
        return train_default_models(models_dir, progress, sample_per_stratum=8, embedder=embedder)

    monkeypatch.setattr(training, "train_default_models", small_training)
    ensure_models(copy)
    assert retrained == [copy]
    assert load_local_engine(copy, embedder=embedder).triage_model is not None
    ensure_models(copy)  # now current: nothing to do
    assert retrained == [copy]
