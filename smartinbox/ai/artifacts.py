"""The trained-model folder: byte-stable files, a manifest of their checksums, atomic replacement.

Files are written so that the same training run produces the same bytes (fixed zip and gzip
timestamps, sorted JSON keys); the model version is then a hash of the file checksums, and two
machines that trained on the same data agree on it. Nothing here unpickles: arrays load with
`allow_pickle=False`, everything else is JSON.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import uuid
import zipfile
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class ModelArtifactsError(RuntimeError):
    """The model folder is missing, incomplete, from another format, or has been altered."""


def json_bytes(data: Any) -> bytes:
    return (json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode()


def gzip_json_bytes(data: Any) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="") as handle:
        handle.write(json.dumps(data, sort_keys=True, ensure_ascii=False).encode())
    return buffer.getvalue()


def gzip_json_lines_bytes(rows: Iterable[Any]) -> bytes:
    """One JSON value per line, gzipped: read back a row at a time (`iter_gzip_json_rows`)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="") as handle:
        for row in rows:
            handle.write(json.dumps(row, sort_keys=True, ensure_ascii=False).encode() + b"\n")
    return buffer.getvalue()


def iter_gzip_json_rows(data: bytes) -> Iterator[Any]:
    """The rows of `gzip_json_lines_bytes`, one at a time; a file holding one JSON array (the
    earlier format) is read whole. A row at a time, a process's start never holds the whole
    decoded text beside the parsed rows (docs/engine.md: the serve peak at 100,000 replies)."""
    with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as handle:
        head = handle.peek(2)[:2]
        if head in (b"[[", b"[]"):
            yield from json.loads(handle.read().decode("utf-8"))
            return
        for line in handle:
            if line.strip():
                yield json.loads(line)


def npz_bytes(arrays: dict[str, npt.NDArray[Any]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            member = io.BytesIO()
            np.lib.format.write_array(
                member, np.ascontiguousarray(arrays[name]), allow_pickle=False
            )
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def load_npz(data: bytes) -> dict[str, npt.NDArray[Any]]:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def load_json(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))


def load_gzip_json(data: bytes) -> Any:
    return json.loads(gzip.decompress(data).decode("utf-8"))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stream_sha256(handle: BinaryIO) -> str:
    """SHA-256 of the rest of an open binary file, read a megabyte at a time."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    with Path(path).open("rb") as handle:
        return stream_sha256(handle)


def _checksum_error(path: Path) -> ModelArtifactsError:
    return ModelArtifactsError(
        f"model file {path} does not match its checksum in manifest.json; retrain the models"
    )


def version_of(file_hashes: dict[str, str]) -> str:
    digest = hashlib.sha256(json.dumps(file_hashes, sort_keys=True).encode()).hexdigest()
    return f"local-{digest[:12]}"


def write_model_dir(
    models_dir: Path, files: dict[str, bytes], manifest: dict[str, Any]
) -> dict[str, Any]:
    """Write all files and the manifest to a fresh folder, then swap it into place."""
    models_dir = Path(models_dir)
    models_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = models_dir.parent / f".{models_dir.name}.tmp-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        hashes = {}
        for name, data in sorted(files.items()):
            (staging / name).write_bytes(data)
            hashes[name] = sha256_bytes(data)
        manifest = {
            **manifest,
            "format": FORMAT_VERSION,
            "version": version_of(hashes),
            "files": hashes,
        }
        (staging / MANIFEST).write_bytes(json_bytes(manifest))
        _swap_into_place(staging, models_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _swap_into_place(staging: Path, target: Path) -> None:
    # A folder cannot be replaced in one rename while it has content, so the old one is moved
    # aside first; readers only ever see a complete folder or none (and then retrain or wait).
    retired = None
    if target.exists():
        retired = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(target, retired)
    os.replace(staging, target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def read_manifest(models_dir: Path) -> dict[str, Any]:
    path = Path(models_dir) / MANIFEST
    if not path.is_file():
        raise ModelArtifactsError(f"no trained models in {models_dir} (manifest.json missing)")
    manifest: dict[str, Any] = load_json(path.read_bytes())
    if manifest.get("format") != FORMAT_VERSION:
        raise ModelArtifactsError(
            f"models in {models_dir} have format {manifest.get('format')!r}; "
            f"this release reads format {FORMAT_VERSION}: retrain them"
        )
    return manifest


def read_verified(
    models_dir: Path, except_: Collection[str] = ()
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and every file it lists (but `except_`), each checked against its recorded
    SHA-256."""
    manifest = read_manifest(models_dir)
    contents: dict[str, bytes] = {}
    for name, expected in manifest["files"].items():
        if name in except_:
            continue
        path = Path(models_dir) / name
        if not path.is_file():
            raise ModelArtifactsError(f"model file {path} is missing")
        data = path.read_bytes()
        if sha256_bytes(data) != expected:
            raise _checksum_error(path)
        contents[name] = data
    return manifest, contents


def load_verified_npz(
    models_dir: Path, manifest: dict[str, Any], name: str
) -> dict[str, npt.NDArray[Any]]:
    """The arrays of one listed `.npz` file, checked against the manifest while it is read.

    For the largest file (the reply memory's vectors): hashing and loading from one open
    handle never holds the file's bytes and its arrays at the same time, and reads the very
    file that was checked even if the folder is replaced meanwhile.
    """
    path = Path(models_dir) / name
    expected = manifest["files"].get(name)
    if expected is None or not path.is_file():
        raise ModelArtifactsError(f"model file {path} is missing")
    with path.open("rb") as handle:
        if stream_sha256(handle) != expected:
            raise _checksum_error(path)
        handle.seek(0)
        with np.load(handle, allow_pickle=False) as archive:
            return {member: archive[member] for member in archive.files}


def update_model_dir(
    models_dir: Path, new_files: dict[str, bytes], manifest_updates: dict[str, Any]
) -> dict[str, Any]:
    """Add or replace files in a verified models folder, swapping the whole folder atomically.

    The manifest gets the new checksums and, since the version is a hash of them, a new version:
    engines that watch the manifest reload with the added files.
    """
    manifest, files = read_verified(models_dir)
    merged = {**files, **new_files}
    kept = {k: v for k, v in manifest.items() if k not in ("format", "version", "files")}
    return write_model_dir(models_dir, merged, {**kept, **manifest_updates})
