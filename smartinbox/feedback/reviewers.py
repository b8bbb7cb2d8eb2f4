"""Which engine explains, improves and judges: the configured provider, or the local rules.

With `SMARTINBOX_AI_PROVIDER=openai` the chat model behind the configured endpoint writes the
"Why this reply?" and "Why did this fail?" answers and the improved replies, and judges replies;
its own output checks and fallbacks apply (an improved reply that fails them is replaced by the
agent's, a malformed judgement is scored by the local judge). Otherwise the local rules and the
local judge answer. Every result names the provider, model and prompt version that wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from smartinbox.config import Settings
from smartinbox.feedback.analysis import (
    Case,
    Explanation,
    Improvement,
    Reviewer,
    RuleReviewer,
    Shown,
    similarity,
)
from smartinbox.feedback.training import canonical

if TYPE_CHECKING:
    from smartinbox.ai.judge import Judgement
    from smartinbox.ai.providers.openai_compat import OpenAIEngine

# Approved replies an improvement prompt shows the model: the closest few, not the whole pool.
IMPROVE_EXAMPLES = 3


class ReplyJudge(Protocol):
    @property
    def provider(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def prompt_version(self) -> str | None: ...

    def evaluate(self, message: str, reply: str, reference: str | None = None) -> Judgement: ...


class ProviderReviewer:
    """Explain and improve through an OpenAI-compatible chat model."""

    provider = "openai"

    def __init__(self, engine: OpenAIEngine) -> None:
        self.engine = engine
        self.model = engine.model
        self.prompt_version: str | None = engine.prompt_version

    def _explanation(self, text: str, fallback: Explanation) -> Explanation:
        if not text.strip():
            # An empty answer explains nothing: the rules answer, and say so by their name.
            return fallback
        return Explanation(text.strip(), self.provider, self.model, self.prompt_version)

    def improve(self, case: Case) -> Improvement:
        examples = sorted(case.accepted, key=lambda mr: -similarity(case.message, mr[0]))
        text = self.engine.improve(
            case.message, case.ai_reply, case.agent_reply, examples[:IMPROVE_EXAMPLES]
        )
        kept = (case.agent_reply or case.ai_reply).strip()
        basis = "generated"
        if canonical(text) == canonical(kept):
            basis = "the generated reply failed the output checks; the agent's reply is kept"
        return Improvement(text, self.model, basis, self.provider, self.prompt_version)

    def explain(self, case: Case) -> Explanation:
        text = self.engine.explain_failure(case.message, case.ai_reply, case.agent_reply)
        return self._explanation(text, RuleReviewer().explain(case))

    def explain_reply(self, shown: Shown) -> Explanation:
        text = self.engine.explain(shown.message, shown.reply, shown.evidence)
        return self._explanation(text, RuleReviewer().explain_reply(shown))


@dataclass
class _ProviderJudge:
    engine: OpenAIEngine
    provider: str = "openai"

    @property
    def model(self) -> str:
        return self.engine.model

    @property
    def prompt_version(self) -> str | None:
        return self.engine.prompt_version

    def evaluate(self, message: str, reply: str, reference: str | None = None) -> Judgement:
        if not reply.strip():
            from smartinbox.ai.judge import Judgement

            return Judgement(0.0, ["The reply is empty."], {"empty": 1.0})
        return self.engine.judge(message, reply, reference)


@dataclass
class _LocalJudge:
    inner: object
    provider: str = "local"
    model: str = "local-judge"
    prompt_version: str | None = None

    def evaluate(self, message: str, reply: str, reference: str | None = None) -> Judgement:
        from smartinbox.ai.judge import Judge

        assert isinstance(self.inner, Judge)
        return self.inner.evaluate(message, reply, reference)


def _openai(settings: Settings) -> OpenAIEngine | None:
    if settings.ai_provider != "openai":
        return None
    from smartinbox.ai.providers.openai_compat import OpenAIEngine
    from smartinbox.ai.registry import engine_for_settings

    engine = engine_for_settings(settings)
    return engine if isinstance(engine, OpenAIEngine) else None


def reviewer_for(settings: Settings) -> Reviewer:
    """The configured provider's reviewer, or the local rules."""
    engine = _openai(settings)
    return ProviderReviewer(engine) if engine is not None else RuleReviewer()


def judge_for(settings: Settings, local: object | None = None) -> ReplyJudge:
    """The configured provider's judge, or the local judge (`local`, if given, is that judge)."""
    engine = _openai(settings)
    if engine is not None:
        return _ProviderJudge(engine)
    if local is None:
        from smartinbox.ai.judge import get_judge

        local = get_judge()
    return _LocalJudge(local)


def judge_provenance(judge: ReplyJudge) -> dict[str, str | None]:
    return {
        "provider": judge.provider,
        "model": judge.model,
        "prompt_version": judge.prompt_version,
    }
