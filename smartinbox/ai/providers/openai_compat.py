"""The engine on any OpenAI-compatible chat completions endpoint (see docs/engine.md).

It leans on the local engine for what must stay on the machine and for what a language model
does badly: the reply memory (retrieval of approved replies, instant learning) and a triage to
fall back on. The model triages by structured output, writes replies grounded in the retrieved
replies, explains, improves and judges. Every text sent out can be PII-redacted first, and every
reply it writes passes the output checks in `openai_checks` before anyone sees it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from smartinbox.ai.engine import (
    HISTORY_TURNS,
    Evidence,
    MemoryItem,
    MessageInput,
    Suggestion,
    Triage,
    VectorCache,
)
from smartinbox.ai.judge import Judgement
from smartinbox.ai.providers import openai_prompts as prompts
from smartinbox.ai.providers.local import LocalEngine
from smartinbox.ai.providers.openai_checks import (
    MalformedAnswer,
    TriageAnswer,
    check_fields_present,
    check_reply,
    parse_judgement,
    parse_triage,
)
from smartinbox.ai.providers.openai_client import ChatClient
from smartinbox.kit.pii import redact

log = logging.getLogger(__name__)

# A malformed answer is asked for once more before the local engine takes over.
MALFORMED_ATTEMPTS = 2
MAX_MESSAGE_CHARS = 4000
REPLY_MAX_TOKENS = 600
TEXT_MAX_TOKENS = 400


class OpenAIEngine:
    name = "openai"

    def __init__(
        self,
        client: ChatClient,
        local: Callable[[], LocalEngine],
        *,
        redact_pii: bool = True,
        logprob_weight: float = 0.5,
        snooze_threshold: float = 0.3,
    ) -> None:
        self.client = client
        self._local = local
        self.redact_pii = redact_pii
        self.logprob_weight = logprob_weight
        self.snooze_threshold = snooze_threshold
        self.model = client.config.model
        self.version = f"openai:{self.model}"[:64]
        self.prompt_version = prompts.PROMPT_VERSION

    @property
    def local(self) -> LocalEngine:
        return self._local()

    def _out(self, text: str) -> str:
        """Text as it may leave the machine."""
        text = text[:MAX_MESSAGE_CHARS]
        return redact(text) if self.redact_pii else text

    def _history(self, message: MessageInput) -> str:
        """The conversation so far, so that the latest turn is read in its light."""
        turns = message.history[-2 * HISTORY_TURNS :]
        return prompts.history_block([(t.role, self._out(t.text)) for t in turns])

    # -- triage -----------------------------------------------------------------------------

    def analyze(self, messages: Sequence[MessageInput]) -> list[Triage]:
        if not messages:
            return []
        heads = self.local.triage_model.heads
        kinds, topics = list(heads["kind"].classes), list(heads["topic"].classes)
        workers = min(len(messages), self.client.config.concurrency)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            answers = list(pool.map(lambda m: self._triage_one(m, kinds, topics), messages))
        results: list[Triage | None] = [a if isinstance(a, Triage) else None for a in answers]
        failed = [i for i, a in enumerate(answers) if isinstance(a, str)]
        if failed:
            fallback = self.local.analyze([messages[i] for i in failed])
            for i, triage in zip(failed, fallback, strict=True):
                triage.note = f"Local triage used: the AI endpoint's answer was {answers[i]}."
                log.warning("AI triage fell back to the local engine", extra={"reason": answers[i]})
                results[i] = triage
        return [r for r in results if r is not None]

    def _triage_one(
        self, message: MessageInput, kinds: list[str], topics: list[str]
    ) -> Triage | str:
        """The model's triage, or why it could not be used (the caller falls back)."""
        chat = prompts.system_user(
            prompts.TRIAGE_SYSTEM,
            f"Allowed topics: {', '.join(topics)}.",
            self._history(message),
            prompts.block("customer_message", self._out(message.text)),
        )
        problem = ""
        for _attempt in range(MALFORMED_ATTEMPTS):
            result = self.client.chat(chat, response_format=prompts.triage_schema(kinds, topics))
            try:
                answer = parse_triage(result.content, kinds, topics)
            except MalformedAnswer as exc:
                problem = f"malformed ({exc})"
                continue
            return _as_triage(answer, self.version, result.latency_ms)
        return problem

    # -- replies ----------------------------------------------------------------------------

    def suggest(self, message: MessageInput, triage: Triage) -> Suggestion:
        started = time.perf_counter()
        grounded = self.local.suggest(message, triage)
        examples = [(e.message, e.reply, e.similarity) for e in grounded.evidence]
        name = f"Customer name: {message.customer_name}." if message.customer_name else ""
        chat = prompts.system_user(
            prompts.REPLY_SYSTEM,
            prompts.examples_block([(self._out(m), self._out(r), s) for m, r, s in examples])
            or "There are no approved examples for this kind of message.",
            f"Triage: kind {triage.kind}, topic {triage.topic}, urgency {triage.urgency:.2f}, "
            f"sentiment {triage.sentiment:+.2f}, language {triage.language}. {name}",
            self._history(message),
            prompts.block("customer_message", self._out(message.text)),
        )
        result = self.client.chat(chat, logprobs=True, temperature=0.2, max_tokens=REPLY_MAX_TOKENS)
        text = result.content.strip()
        check = check_reply(text, [e.reply for e in grounded.evidence]) if text else None
        base = dict(
            evidence=grounded.evidence,
            model=result.model or self.model,
            provider=self.name,
            prompt_version=self.prompt_version,
        )
        if check is None or not check.ok:
            why = "the answer was empty" if check is None else "; ".join(check.problems)
            log.warning("generated reply failed the output checks", extra={"reason": why})
            return Suggestion(
                text=grounded.text,
                confidence=round(min(grounded.confidence, self.snooze_threshold / 2), 4),
                note=f"The generated reply was withheld ({why}); showing the best approved reply.",
                latency_ms=_ms(started),
                **base,  # type: ignore[arg-type]
            )
        confidence, note = self._confidence(result.mean_token_probability, grounded.confidence)
        return Suggestion(
            text=text,
            confidence=confidence,
            note=note,
            latency_ms=_ms(started),
            **base,  # type: ignore[arg-type]
        )

    def _confidence(self, token_p: float | None, evidence_p: float) -> tuple[float, str | None]:
        """Weighted geometric mean: low when either the model or the evidence is unsure."""
        if token_p is None:
            return round(evidence_p, 4), "The endpoint returned no token log-probabilities."
        w = self.logprob_weight
        blended = (max(token_p, 1e-6) ** w) * (max(evidence_p, 1e-6) ** (1 - w))
        return round(min(1.0, max(0.0, blended)), 4), None

    def remember(self, items: Sequence[MemoryItem]) -> None:
        # The reply memory is the local engine's: one memory, whichever provider writes.
        self.local.remember(items)

    def use_vector_cache(self, cache: VectorCache | None) -> None:
        self.local.use_vector_cache(cache)

    # -- explain, improve, judge ------------------------------------------------------------

    def _text(self, system: str, *parts: str) -> str:
        chat = prompts.system_user(system, *parts)
        return self.client.chat(chat, max_tokens=TEXT_MAX_TOKENS).content.strip()

    def explain(self, message: str, reply: str, evidence: Sequence[Evidence]) -> str:
        return self._text(
            prompts.EXPLAIN_SYSTEM,
            prompts.examples_block(
                [(self._out(e.message), self._out(e.reply), e.similarity) for e in evidence]
            )
            or "The reply was written without past examples.",
            prompts.block("customer_message", self._out(message)),
            prompts.block("ai_reply", self._out(reply)),
        )

    def explain_failure(self, message: str, ai_reply: str, agent_reply: str | None) -> str:
        return self._text(
            prompts.EXPLAIN_FAILURE_SYSTEM,
            prompts.block("customer_message", self._out(message)),
            prompts.block("ai_reply", self._out(ai_reply)),
            prompts.block("agent_reply", self._out(agent_reply or "(the agent wrote no reply)")),
        )

    def improve(
        self,
        message: str,
        ai_reply: str,
        agent_reply: str | None,
        examples: Sequence[tuple[str, str]] = (),
    ) -> str:
        improved = self._text(
            prompts.IMPROVE_SYSTEM,
            prompts.examples_block([(self._out(m), self._out(r), 1.0) for m, r in examples]),
            prompts.block("customer_message", self._out(message)),
            prompts.block("ai_reply", self._out(ai_reply)),
            prompts.block("agent_reply", self._out(agent_reply or "(the agent wrote no reply)")),
        )
        approved = [r for _m, r in examples] + ([agent_reply] if agent_reply else [])
        if improved and check_reply(improved, approved).ok:
            return improved
        return (agent_reply or ai_reply).strip()

    def judge(self, message: str, reply: str, reference: str | None = None) -> Judgement:
        chat = prompts.system_user(
            prompts.JUDGE_SYSTEM,
            prompts.block("customer_message", self._out(message)),
            prompts.block("ai_reply", self._out(reply)),
            prompts.block("reference", self._out(reference))
            if reference
            else "No reference reply.",
        )
        problem = ""
        for _attempt in range(MALFORMED_ATTEMPTS):
            content = self.client.chat(chat, response_format=prompts.judge_schema()).content
            try:
                answer = parse_judgement(content)
            except MalformedAnswer as exc:
                problem = str(exc)
                continue
            signals = {k: round(float(getattr(answer, k)), 4) for k in prompts.RUBRIC}
            return Judgement(answer.score(), answer.comments or ["No problems found."], signals)
        from smartinbox.ai.judge import get_judge

        fallback = get_judge().evaluate(message, reply, reference)
        fallback.comments.append(
            f"Scored by the local judge: the AI answer was malformed ({problem})."
        )
        return fallback


def _as_triage(answer: TriageAnswer, version: str, latency_ms: float) -> Triage:
    return Triage(
        kind=answer.kind,
        topic=answer.topic,
        urgency=answer.urgency,
        sentiment=answer.sentiment,
        spam=answer.spam,
        language=answer.language,
        out_of_scope=answer.out_of_scope,
        confidence=check_fields_present(answer),
        model_version=version,
        latency_ms=latency_ms,
    )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
