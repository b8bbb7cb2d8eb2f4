from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from smartinbox.ai import ModelArtifactsError, clear_engines, get_engine
from smartinbox.ai.artifacts import MANIFEST


@pytest.fixture(autouse=True)
def _forget_engines() -> None:
    clear_engines()


def test_one_engine_per_folder_shared_across_threads(models_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        engines = list(pool.map(lambda _i: get_engine(models_path), range(8)))
    assert all(e is engines[0] for e in engines)
    assert engines[0].name == "local"


def test_different_folders_get_different_engines(models_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(models_path, copy)
    assert get_engine(copy) is not get_engine(models_path)


def test_new_manifest_loads_new_models(models_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(models_path, copy)
    first = get_engine(copy)
    manifest = copy / MANIFEST
    manifest.write_text(manifest.read_text() + "\n")
    assert get_engine(copy) is not first


def test_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(ModelArtifactsError):
        get_engine(tmp_path / "absent")
