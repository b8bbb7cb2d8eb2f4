"""Stress tests: replay real interactions through the live and a candidate version.

A run records the interactions it will replay when it starts, then works through them in
chunks: the models and the judge run with no transaction open, and each chunk's results are
written in one short transaction (one INSERT for the chunk). A crashed run is resumed by running
it again: rows already in `ai_stress_test_log` are skipped, and the (run_id, interaction_key)
key makes a chunk that two processes wrote at once land only once.

Within a chunk every expensive step is batched: each message is embedded once for both
versions (they share the embedding model), each version triages and suggests for the whole
chunk in one call, and the judge's texts (messages, references, both replies) are embedded in
one call before the replies are scored.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from smartinbox.ai.engine import Engine, MessageInput, prepare, suggest_many
from smartinbox.ai.judge import Judge
from smartinbox.config import Settings
from smartinbox.db import session_scope
from smartinbox.evaluation import repository as repo
from smartinbox.evaluation import time_split
from smartinbox.evaluation.report import summarize
from smartinbox.feedback.reviewers import ReplyJudge, judge_for, judge_provenance
from smartinbox.kit.errors import NotFound, ValidationFailed
from smartinbox.kit.timeutil import utcnow
from smartinbox.models import AssistantVersion, StressTestRun
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
    *,
    allow_overlap: bool = False,
) -> StressTestRun:
    """Record a run of the interactions newer than the candidate's training data (replays in
    it are left out; queries in it are refused unless `allow_overlap`, which marks the run)."""
    if not interactions:
        raise ValidationFailed("no interactions to replay for these filters", field="since")
    replays = all(i.key.startswith("replay:") for i in interactions)
    chosen = time_split.split(
        session, candidate, interactions, drop_overlap=replays, allow_overlap=allow_overlap
    )
    interactions = chosen.keep
    params = {**params, "time_split": chosen.record}
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


def _answers(engine: Engine, messages: Sequence[MessageInput], embed_ms: float) -> list[_Side]:
    """Triage the chunk in one batch, then suggest its replies in one batch.

    A row's latency is what answering that message cost the version: its share of the
    chunk's message embedding (done once for both versions, and counted for each, since
    either alone would have to do it), of the batched triage and of the batched suggestion.
    """
    started = time.perf_counter()
    triages = engine.analyze(messages)
    triage_ms = (time.perf_counter() - started) * 1000 / max(1, len(messages))
    suggestions = suggest_many(engine, messages, triages)
    out = []
    for triage, suggestion in zip(triages, suggestions, strict=True):
        seen = {"topic": triage.topic, "kind": triage.kind,
                "confidence": round(float(suggestion.confidence), 4)}  # fmt: skip
        latency = embed_ms + triage_ms + suggestion.latency_ms
        out.append(_Side(suggestion.text, 0.0, [], latency, seen))
    return out


def _judge_texts(items: Sequence[Interaction], sides: Sequence[_Side]) -> list[str]:
    """The texts the judge embeds for these rows (as `Judge.evaluate` passes them)."""
    texts = {t for i in items for t in (i.message, i.reference) if t}
    return sorted(texts | {s.reply.strip() for s in sides if s.reply.strip()})


@dataclass
class _Chunk:
    items: Sequence[Interaction]
    live: list[_Side]
    candidate: list[_Side]


def _replay_chunk(
    engines: tuple[Engine, Engine], judge: ReplyJudge, local: Judge, items: Sequence[Interaction]
) -> _Chunk:
    """Both versions answer the chunk; the judge then scores every reply. No database."""
    messages = [MessageInput(body=i.message) for i in items]
    started = time.perf_counter()
    prepare(engines[0], messages)  # engines share the embedder: one embedding per message
    embed_ms = (time.perf_counter() - started) * 1000 / max(1, len(items))
    live = _answers(engines[0], messages, embed_ms)
    cand = _answers(engines[1], messages, embed_ms)
    # Messages, references and both replies embedded in one batch; `evaluate` then finds them.
    local.embedder.embed(_judge_texts(items, live + cand))
    for item, sides in zip(items, zip(live, cand, strict=True), strict=True):
        for side in sides:
            verdict = judge.evaluate(item.message, side.reply, item.reference)
            side.score, side.comments = verdict.score, verdict.comments
    return _Chunk(items, live, cand)


def _row(run: int, ids: tuple[int, int], item: Interaction, live: _Side,
         cand: _Side, judge: dict[str, str | None]) -> dict[str, Any]:  # fmt: skip
    return dict(
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
    """Replay what the run has not done yet, then store and return its summary.

    `stress_test_workers` threads each replay a whole chunk (models and judge, no transaction
    open), so one chunk's embeddings run while another's replies are chosen. This thread
    writes the chunks in order, each in one short transaction; when the run is interrupted,
    chunks not yet written are dropped and redone by the resumed run.
    """
    with session_scope(settings, write=False) as session:
        run = repo.get_run(session, run_id)
        if run is None:
            raise NotFound(f"stress-test run {run_id} does not exist", field="run_id")
        done = repo.done_keys(session, run_id)
        items = [Interaction(**i) for i in run.params.get("interactions", [])]
        ids = (run.live_version_id or 0, run.candidate_version_id or 0)
        arts = {v.id: dict(v.artifacts) for v in versions_repo.all_versions(session)}
    todo = [i for i in items if i.key not in done]
    engines = (engine_for_version(settings, ids[0] or None, arts.get(ids[0], {})),
               engine_for_version(settings, ids[1] or None, arts.get(ids[1], {})))  # fmt: skip
    from smartinbox.ai.registry import shared_embedder

    local = Judge(shared_embedder())
    # The provider's judge when one is configured (the local judge is its fallback).
    judge = judge_for(settings, local)
    judged_by = judge_provenance(judge)
    workers = settings.stress_test_workers
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stress-test")
    pending: deque[Future[_Chunk]] = deque()
    chunks = _chunks(todo, settings.stress_test_chunk)
    try:
        while True:
            # Keep every worker busy, but no more chunks in memory than that.
            while len(pending) < workers and (chunk := next(chunks, None)) is not None:
                pending.append(pool.submit(_replay_chunk, engines, judge, local, chunk))
            if not pending:
                break
            result = pending.popleft().result()
            rows = [_row(run_id, ids, i, a, b, judged_by) for i, a, b in
                    zip(result.items, result.live, result.candidate, strict=True)]  # fmt: skip
            with session_scope(settings) as session:
                repo.add_logs(session, rows)
            if progress is not None:
                progress(len(result.items), len(todo))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return finish(settings, run_id)


def finish(settings: Settings, run_id: int) -> dict[str, Any]:
    with session_scope(settings) as session:
        run = repo.get_run(session, run_id)
        assert run is not None
        summary = summarize(repo.log_rows(session, run_id), settings.stress_test_tie_margin)
        summary["run_id"] = run_id
        # What the candidate was graded on, against its training data (see time_split.py).
        summary["time_split"] = run.params.get("time_split")
        run.summary = summary
        run.status = "finished"
        run.finished_at = utcnow()
        return summary
