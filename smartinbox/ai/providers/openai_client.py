"""The HTTP side of the OpenAI-compatible provider: one SDK client, bounded concurrency, retries.

The SDK's own retries are switched off so that every wait is ours: exponential backoff on
timeouts, refused connections, 429 and 5xx, the server's Retry-After when it sends one, and a
clear `ProviderUnavailable` once the attempts are spent (a job then fails and is retried later
by the queue, instead of a worker thread hanging on a dead endpoint). The API key is handed to
the SDK and nowhere else: it is never logged and never part of an error message.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import openai

from smartinbox.kit.errors import DomainError, Unavailable

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 8.0
# A server asking for a longer pause than this is treated as down for now: the job fails with
# ProviderUnavailable and the queue retries it later, rather than a worker thread sleeping.
MAX_RETRY_AFTER_S = 60.0
RETRYABLE_STATUS = {408, 409, 429}


class ProviderUnavailable(Unavailable):
    """The AI endpoint is down, timing out or rate limiting us beyond our retries."""

    code = "ai_provider_unavailable"


class ProviderError(DomainError):
    """The AI endpoint refused the request (bad key, unknown model, invalid parameters)."""

    status_code = 502
    code = "ai_provider_error"


@dataclass(frozen=True)
class ClientConfig:
    base_url: str | None
    api_key: str | None
    model: str
    timeout_s: float = 30.0
    max_retries: int = 3
    concurrency: int = 4

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc if self.base_url else "api.openai.com"


@dataclass
class ChatResult:
    content: str
    token_logprobs: list[float] = field(default_factory=list)
    model: str = ""
    attempts: int = 1
    latency_ms: float = 0.0
    usage: dict[str, int] = field(default_factory=dict)

    @property
    def mean_token_probability(self) -> float | None:
        """exp(mean log-probability): the geometric mean of the chosen tokens' probabilities."""
        if not self.token_logprobs:
            return None
        return math.exp(sum(self.token_logprobs) / len(self.token_logprobs))


def retry_after_s(headers: Any) -> float | None:
    """The pause a 429/503 asks for: retry-after-ms, or Retry-After in seconds or as a date."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


class ChatClient:
    """Thread-safe: one per process and configuration, shared by every worker thread."""

    def __init__(self, config: ClientConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(config.concurrency)
        self._sdk = openai.OpenAI(
            base_url=config.base_url,
            # Self-hosted servers need no key, but the SDK refuses to start without one.
            api_key=config.api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
            timeout=config.timeout_s,
            max_retries=0,
        )

    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        response_format: dict[str, Any] | None = None,
        logprobs: bool = False,
        temperature: float = 0.0,
        max_tokens: int | None = None,
    ) -> ChatResult:
        params: dict[str, Any] = {
            "model": self.config.model,
            "messages": messages,
            "temperature": temperature,
        }
        if response_format is not None:
            params["response_format"] = response_format
        if logprobs:
            params["logprobs"] = True
        if max_tokens is not None:
            params["max_tokens"] = max_tokens
        started = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            try:
                with self._slots:
                    completion = self._sdk.chat.completions.create(**params)
                return _result(completion, attempt, started)
            except openai.APIStatusError as exc:
                wait = self._retry_wait(exc, attempt)
                reason = f"HTTP {exc.status_code}"
            except openai.APIConnectionError as exc:
                timed_out = isinstance(exc, openai.APITimeoutError)
                reason = "timed out" if timed_out else "connection failed"
                wait = self._backoff(attempt, reason)
            log.warning(
                "AI endpoint request failed; retrying",
                extra={
                    "host": self.config.host,
                    "reason": reason,
                    "attempt": attempt,
                    "wait_s": wait,
                },
            )
            self._sleep(wait)

    def _backoff(self, attempt: int, reason: str) -> float:
        if attempt > self.config.max_retries:
            raise ProviderUnavailable(
                f"The AI endpoint {self.config.host} is unavailable ({reason} after "
                f"{attempt} attempt{'s' if attempt > 1 else ''}).",
                retry_after=int(BACKOFF_MAX_S),
            )
        return float(min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (attempt - 1)))

    def _retry_wait(self, exc: openai.APIStatusError, attempt: int) -> float:
        status = exc.status_code
        if status not in RETRYABLE_STATUS and status < 500:
            raise ProviderError(
                f"The AI endpoint {self.config.host} refused the request (HTTP {status}); "
                "check the model name, API key and base URL.",
                status=status,
            ) from None
        asked = retry_after_s(exc.response.headers)
        if asked is not None and asked > MAX_RETRY_AFTER_S:
            raise ProviderUnavailable(
                f"The AI endpoint {self.config.host} asks to wait {asked:.0f} s (HTTP {status}).",
                retry_after=math.ceil(asked),
            )
        backoff = self._backoff(attempt, f"HTTP {status}")
        return backoff if asked is None else asked


def _result(completion: Any, attempts: int, started: float) -> ChatResult:
    if not completion.choices:
        raise ProviderError("The AI endpoint answered without a choice.")
    choice = completion.choices[0]
    logprobs = [
        float(token.logprob)
        for token in ((choice.logprobs.content or []) if choice.logprobs else [])
        if token.logprob is not None and math.isfinite(token.logprob)
    ]
    usage = completion.usage
    return ChatResult(
        content=choice.message.content or "",
        token_logprobs=logprobs,
        model=completion.model or "",
        attempts=attempts,
        latency_ms=round((time.perf_counter() - started) * 1000, 3),
        usage=(
            {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}
            if usage
            else {}
        ),
    )
