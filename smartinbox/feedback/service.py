"""Ratings, replay rows and the training data they produce. Never commits.

Everything the learning loop knows about an interaction is derived in `capture_message`, which
is idempotent: the rating endpoint calls it directly and the reply flow queues it as a job, and
running it again only brings the rows up to date.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartinbox.ai.engine import MemoryItem
from smartinbox.config import Settings
from smartinbox.csat.service import without_link
from smartinbox.feedback import repository as repo
from smartinbox.feedback.schemas import FeedbackIn, FeedbackOut, ReplayIn
from smartinbox.feedback.training import (
    ExampleCandidate,
    build_training_prompt,
    example_for,
    near_duplicate,
    prompt_hash,
)
from smartinbox.kit.errors import Conflict, NotFound, ValidationFailed
from smartinbox.kit.text import html_to_text, strip_control
from smartinbox.memory import service as memory_review
from smartinbox.models import (
    Feedback,
    FeedbackReplayLog,
    Message,
    TrainingExample,
    TrainingExampleSource,
    TrainingPrompt,
    User,
)

LEARNABLE_SOURCES = {"correction", "override", "edited", "accepted"}


@dataclass
class Capture:
    replay: FeedbackReplayLog | None
    example: TrainingExample | None
    memory: list[MemoryItem]


def _message(session: Session, message_id: int) -> Message:
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound(f"message {message_id} does not exist", field="id")
    return message


def _text(message: Message) -> str:
    return html_to_text(message.body) if message.body_format == "html" else message.body


def rate(
    session: Session, settings: Settings, message_id: int, data: FeedbackIn, author: User | None
) -> tuple[FeedbackOut, Capture]:
    """One agent rates the current suggestion once; a re-rating replaces it, keeping history."""
    _message(session, message_id)
    suggestion = repo.rated_or_answered_reply(session, message_id)
    if suggestion is None:
        raise Conflict("this message has no suggested reply to rate yet", field="id")
    notes = strip_control(data.notes).strip() if data.notes else None
    author_id = author.id if author else None
    earlier = repo.current_feedback(session, suggestion.id, author_id)
    if earlier is not None:
        repo.retire_feedback(session, earlier.id)
    row = Feedback(
        message_id=message_id,
        ai_reply_id=suggestion.id,
        author_id=author_id,
        useful=data.useful,
        score=data.score,
        notes=notes or None,
        is_current=True,
    )
    try:
        with session.begin_nested():
            repo.add(session, row)
    except IntegrityError as exc:
        raise Conflict("another rating by you was saved at the same moment; retry") from exc
    capture = capture_message(session, settings, message_id)
    out = FeedbackOut.model_validate(row)
    out.replaced = repo.count_history(session, suggestion.id, author_id)
    return out, capture


def capture_message(session: Session, settings: Settings, message_id: int) -> Capture:
    """Bring the replay row, training prompt and training example of a message up to date."""
    message = session.get(Message, message_id)
    agent = repo.latest_agent_reply(session, message_id) if message else None
    ai_reply = None
    if agent is not None and agent.ai_reply_id is not None:
        ai_reply = repo.get_ai_reply(session, agent.ai_reply_id)
    if ai_reply is None and message is not None:
        ai_reply = repo.rated_or_answered_reply(session, message_id)
    if message is None or ai_reply is None:
        return Capture(None, None, [])
    rating = repo.latest_rating(session, ai_reply.id)
    if rating is None and agent is None:
        return Capture(None, None, [])
    text = _text(message)
    useful = rating.useful if rating else None
    replay = repo.replay_for(session, message_id, ai_reply.id)
    if replay is None:
        replay = FeedbackReplayLog(message_id=message_id, ai_reply_id=ai_reply.id)
        session.add(replay)
    replay.message = text
    replay.ai_reply = ai_reply.text
    # The reply as written, without the customer's signed rating link.
    sent = without_link(agent.text) if agent else None
    replay.agent_reply = sent
    replay.feedback = None if useful is None else ("yes" if useful else "no")
    replay.topic = repo.topic_of(session, message_id)
    replay.assistant_version_id = ai_reply.assistant_version_id
    session.flush()
    if rating is not None:
        _store_prompt(
            session,
            message_id,
            ai_reply.id,
            ai_reply.assistant_version_id,
            text,
            ai_reply.text,
            useful,
            sent,
        )
    candidate = example_for(text, ai_reply.text, sent, useful, agent.usage if agent else None)
    example = None
    memory: list[MemoryItem] = []
    if candidate is not None:
        example = merge_example(
            session,
            settings,
            candidate,
            source_key=f"message:{message_id}",
            message_id=message_id,
            version_id=ai_reply.assistant_version_id,
            not_useful=repo.not_useful_count(session, message_id),
        )
        if candidate.source in LEARNABLE_SOURCES:
            memory.append(
                MemoryItem(
                    text,
                    candidate.completion,
                    # A reply made from a saved macro is the team's agreed wording.
                    "macro" if agent is not None and agent.macro_id else "agent_reply",
                    f"message:{message_id}",
                    replay.topic,
                )
            )
    # The memory review: who the reply was learned from, and whether it may be suggested.
    author_id = agent.author_id if agent is not None else (rating.author_id if rating else None)
    author = session.get(User, author_id) if author_id else None
    memory = memory_review.register(session, settings, memory, author)
    used = (agent is not None and agent.usage == "unchanged") or bool(rating and rating.useful)
    for user_id in {agent.author_id if agent else None, rating.author_id if rating else None}:
        if used and user_id:
            memory_review.approved_by_use(session, ai_reply.evidence, user_id)
    return Capture(replay, example, memory)


def _store_prompt(
    session: Session,
    message_id: int | None,
    ai_reply_id: int | None,
    version_id: int | None,
    message: str,
    ai_reply: str,
    useful: bool | None,
    agent_reply: str | None,
) -> TrainingPrompt:
    prompt = None
    if message_id is not None and ai_reply_id is not None:
        prompt = repo.training_prompt_for(session, message_id, ai_reply_id)
    if prompt is None:
        prompt = TrainingPrompt(message_id=message_id, ai_reply_id=ai_reply_id)
        session.add(prompt)
    prompt.prompt = build_training_prompt(message, ai_reply, useful, agent_reply)
    prompt.rating = 1 if useful else 0
    prompt.assistant_version_id = version_id
    prompt.version = (
        repo.version_tags(session, {version_id}).get(version_id) if version_id else None
    )
    session.flush()
    return prompt


def merge_example(
    session: Session,
    settings: Settings,
    candidate: ExampleCandidate,
    *,
    source_key: str,
    message_id: int | None,
    version_id: int | None,
    not_useful: int,
) -> TrainingExample:
    """Insert or merge: one example per customer message, near-duplicate answers add weight."""
    key = prompt_hash(candidate.prompt)
    example = repo.example_by_hash(session, key)
    created = example is None
    if example is None:
        try:
            with session.begin_nested():
                example = TrainingExample(
                    prompt=candidate.prompt,
                    completion=candidate.completion,
                    source=candidate.source,
                    weight=candidate.weight,
                    message_id=message_id,
                    assistant_version_id=version_id,
                    content_hash=key,
                    not_useful_count=0,
                )
                repo.add(session, example)
        except IntegrityError:
            created = False
            example = repo.example_by_hash(session, key)
            if example is None:
                raise
    source = repo.example_source(session, example.id, source_key)
    same = near_duplicate(
        example.completion, candidate.completion, settings.training_near_duplicate_ratio
    )
    if source is None:
        if same and not created:
            example.weight += candidate.weight
        session.add(
            TrainingExampleSource(
                example_id=example.id,
                source_key=source_key,
                message_id=message_id,
                not_useful=not_useful,
            )
        )
    else:
        source.not_useful = not_useful
    if not same:
        # The newest answer wins: agents correct earlier corrections, and two different
        # completions for one message would only teach the model to hedge.
        example.completion, example.source, example.weight = (
            candidate.completion,
            candidate.source,
            candidate.weight,
        )
    example.message_id = message_id or example.message_id
    example.assistant_version_id = version_id or example.assistant_version_id
    session.flush()
    example.not_useful_count = repo.sum_not_useful(session, example.id)
    session.flush()
    return example


def record_replay(session: Session, settings: Settings, data: ReplayIn) -> FeedbackReplayLog:
    """`POST /api/feedback-replay`: a replay from outside the inbox, and its training data."""
    message = strip_control(data.message).strip()
    ai_reply = strip_control(data.ai_reply).strip()
    agent_reply = strip_control(data.agent_reply).strip() if data.agent_reply else None
    if not message or not ai_reply:
        raise ValidationFailed("message and aiReply must not be blank", field="message")
    row = FeedbackReplayLog(
        message=message,
        ai_reply=ai_reply,
        agent_reply=agent_reply or None,
        feedback=data.feedback,
        topic=data.topic,
    )
    repo.add(session, row)
    useful = None if data.feedback is None else data.feedback == "yes"
    if useful is not None:
        _store_prompt(session, None, None, None, message, ai_reply, useful, agent_reply)
    usage = "replaced" if agent_reply and agent_reply != ai_reply else None
    candidate = example_for(message, ai_reply, agent_reply, useful, usage)
    if candidate is not None:
        merge_example(
            session,
            settings,
            candidate,
            source_key=f"replay:{row.id}",
            message_id=None,
            version_id=None,
            not_useful=1 if useful is False else 0,
        )
    return row
