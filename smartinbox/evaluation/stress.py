"""Stress tests: replay real interactions through the live and a candidate version.

A run records the interactions it will replay when it starts, then works through them in
chunks: the models and the judge run with no transaction open, and each chunk's results are
written in one short transaction. A crashed run is resumed by running it again: rows already
in `ai_stress_test_log` are skipped, and the (run_id, interaction_key) key makes a chunk that
two processes wrote at once land only once.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy.orm import Session

from smartinbox.ai.embedder import MiniLMEmbedder
from smartinbox.ai.engine import Engine, MessageInput
from smartinbox.ai.judge import Judge
from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.evaluation import repository as repo
from smartinbox.evaluation.report import summarize
from smartinbox.feedback.reviewers import ReplyJudge, judge_for, judge_provenance
from smartinbox.kit.errors import NotFound, ValidationFailed
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import AssistantVersion, StressTestLog, StressTestRun
from smartinbox.versions import repository as versions_repo
from smartinbox.versions.engines import engine_for_version
from smartinbox.versions.service import get as get_version
from smartinbox.versions.service import live_version

Progress = Callable[[int, int], None]  # (rows done in this call, rows to do)


@dataclass(frozen=True)
class Interaction:
    key: str
    message: str
    topic: str | None = None
    reference: str | None = None
    message_id: int | None = None


def from_replays(session: Session, since_days: int, limit: int) -> list[Interaction]:
    since = utcnow() - timedelta(days=since_days)
    return [
        Interaction(f"replay:{r.id}", r.message, r.topic, r.agent_reply or None, r.message_id)
        for r in repo.rejected_interactions(session, since, limit)
    ]


def from_csv(path: Path, limit: int) -> list[Interaction]:
    """Queries from a CSV with a `message` column (and optional `topic`, `reference`)."""
    out: list[Interaction] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if "message" not in (reader.fieldnames or []):
            raise ValidationFailed(f"{path.name} has no 'message' column", field="queries")
        for line, row in enumerate(reader, start=2):
            text = (row.get("message") or "").strip()
            if not text:
                continue
            digest = hashlib.sha256(text.encode()).hexdigest()[:16]
            out.append(Interaction(f"csv:{line}:{digest}", text, row.get("topic") or None,
                                   row.get("reference") or None))  # fmt: skip
            if len(out) >= limit:
                break
    return out


def from_queries(queries: Sequence[str]) -> list[Interaction]:
    out = []
    for n, text in enumerate(q.strip() for q in queries):
        if text:
            digest = hashlib.sha256(text.encode()).hexdigest()[:16]
            out.append(Interaction(f"query:{n}:{digest}", text))
    return out


def resolve_versions(
    session: Session, candidate_tag: str | None
) -> tuple[AssistantVersion, AssistantVersion]:
    live = live_version(session)
    if candidate_tag:
        return live, get_version(session, candidate_tag)
    return live, versions_repo.newest_candidate(session) or live


def start(
    session: Session,
    interactions: Sequence[Interaction],
    live: AssistantVersion,
    candidate: AssistantVersion,
    params: dict[str, Any],
) -> StressTestRun:
    if not interactions:
        raise ValidationFailed("no interactions to replay for these filters", field="since")
    run = StressTestRun(
        status="running",
        live_version_id=live.id,
        candidate_version_id=candidate.id,
        params={
            **params,
            "live": live.version_tag,
            "candidate": candidate.version_tag,
            "interactions": [asdict(i) for i in interactions],
        },
    )
    session.add(run)
    session.flush()
    return run


@dataclass
class _Side:
    reply: str
    score: float
    comments: list[str]
    latency_ms: float
    triage: dict[str, Any]  # topic, kind and reply confidence, for the drift check


class _BatchEmbeddings:
    """The judge's embedder, primed with a whole chunk's texts in one batched call.

    Embedding texts one message at a time costs several times more than in batches; the
    judge asks for the same vectors afterwards and gets them from here.
    """

    def __init__(self, inner: MiniLMEmbedder) -> None:
        self.inner = inner
        self.vectors: dict[str, Any] = {}

    def prime(self, texts: Sequence[str]) -> None:
        missing = sorted({t for t in texts if t and t not in self.vectors})
        for text, vector in zip(missing, self.inner.embed(missing), strict=True):
            self.vectors[text] = vector

    def embed(self, texts: Sequence[str]) -> Any:
        self.prime(list(texts))
        return np.stack([self.vectors[t] if t else self.inner.embed([" "])[0] for t in texts])


def _answers(engine: Engine, items: Sequence[Interaction]) -> list[_Side]:
    """Triage the chunk in one batch, then suggest one reply per message."""
    messages = [MessageInput(body=i.message) for i in items]
    started = time.perf_counter()
    triages = engine.analyze(messages)
    triage_ms = (time.perf_counter() - started) * 1000 / max(1, len(items))
    out = []
    for message, triage in zip(messages, triages, strict=True):
        began = time.perf_counter()
        suggestion = engine.suggest(message, triage)
        latency = triage_ms + (time.perf_counter() - began) * 1000
        seen = {"topic": triage.topic, "kind": triage.kind,
                "confidence": round(float(suggestion.confidence), 4)}  # fmt: skip
        out.append(_Side(suggestion.text, 0.0, [], latency, seen))
    return out


def _judge(judge: ReplyJudge, item: Interaction, side: _Side) -> _Side:
    verdict = judge.evaluate(item.message, side.reply, item.reference)
    side.score, side.comments = verdict.score, verdict.comments
    return side


def _row(run: int, ids: tuple[int, int], item: Interaction, live: _Side,
         cand: _Side, judge: dict[str, str | None]) -> StressTestLog:  # fmt: skip
    return StressTestLog(
        run_id=run, interaction_key=item.key, message_id=item.message_id, message=item.message,
        topic=item.topic or live.triage["topic"], reference_reply=item.reference,
        live_reply=live.reply, candidate_reply=cand.reply,
        live_score=live.score, candidate_score=cand.score,
        judge_comments={"live": live.comments, "candidate": cand.comments,
                        "triage": {"live": live.triage, "candidate": cand.triage},
                        "judge": judge},
        live_latency_ms=round(live.latency_ms, 3), candidate_latency_ms=round(cand.latency_ms, 3),
        live_version_id=ids[0], candidate_version_id=ids[1],
    )  # fmt: skip


def _chunks(items: Sequence[Interaction], size: int) -> Iterator[Sequence[Interaction]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def execute(settings: Settings, run_id: int, progress: Progress | None = None) -> dict[str, Any]:
    """Replay what the run has not done yet, then store and return its summary."""
    with session_scope(settings, write=False) as session:
        run = repo.get_run(session, run_id)
        if run is None:
            raise NotFound(f"stress-test run {run_id} does not exist", field="run_id")
        done = repo.done_keys(session, run_id)
        items = [Interaction(**i) for i in run.params.get("interactions", [])]
        ids = (run.live_version_id or 0, run.candidate_version_id or 0)
        arts = {v.id: dict(v.artifacts) for v in versions_repo.all_versions(session)}
    todo = [i for i in items if i.key not in done]
    live_engine = engine_for_version(settings, ids[0] or None, arts.get(ids[0], {}))
    cand_engine = engine_for_version(settings, ids[1] or None, arts.get(ids[1], {}))
    from smartinbox.ai.registry import shared_embedder

    embeddings = _BatchEmbeddings(shared_embedder())
    # The provider's judge when one is configured (the local judge is its fallback).
    judge = judge_for(settings, Judge(cast(MiniLMEmbedder, embeddings)))
    judged_by = judge_provenance(judge)

    def side(args: tuple[Engine, Sequence[Interaction]]) -> list[_Side]:
        return _answers(*args)

    with ThreadPoolExecutor(max_workers=settings.stress_test_workers) as pool:
        for chunk in _chunks(todo, settings.stress_test_chunk):
            # The two versions answer side by side; the judge then scores every reply.
            live, cand = pool.map(side, [(live_engine, chunk), (cand_engine, chunk)])
            embeddings.vectors.clear()
            embeddings.prime([t for i, a, b in zip(chunk, live, cand, strict=True)
                              for t in (i.message, a.reply, b.reply, i.reference or "")])  # fmt: skip
            pairs = [(i, s) for i, a, b in zip(chunk, live, cand, strict=True) for s in (a, b)]
            list(pool.map(lambda p: _judge(judge, *p), pairs))
            with session_scope(settings) as session:
                for item, a, b in zip(chunk, live, cand, strict=True):
                    repo.add_log(session, _row(run_id, ids, item, a, b, judged_by))
            if progress is not None:
                progress(len(chunk), len(todo))
    return finish(settings, run_id)


def finish(settings: Settings, run_id: int) -> dict[str, Any]:
    with session_scope(settings) as session:
        run = repo.get_run(session, run_id)
        assert run is not None
        summary = summarize(repo.log_rows(session, run_id), settings.stress_test_tie_margin)
        summary["run_id"] = run_id
        run.summary = summary
        run.status = "finished"
        run.finished_at = utcnow()
        return summary
