"""An agent's reply survives a restart: a fresh process replays it from the database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smartinbox.ai import clear_engines
from smartinbox.app import create_app
from smartinbox.models import MemoryVector
from smartinbox.versions import engines as version_engines
from smartinbox.versions import service as versions
from tests.conftest import Actor, Env
from tests.feedback.helpers import ingest, rate, reply
from tests.versions.helpers import CASES, local_version

QUESTION = "Can I pay my invoice with PayPal instead of a credit card?"
PARAPHRASE = "Is it possible to settle the invoice using PayPal rather than my credit card?"
CORRECTION = (
    "Yes: open Billing > Payment methods, choose PayPal and confirm; the invoice updates at once."
)
SECOND = "Which cards do you accept for the yearly plan, and is Amex fine?"
SECOND_PARAPHRASE = (
    "For the annual plan, which credit cards can I use? Do you take American Express?"
)
SECOND_REPLY = "We take Visa, Mastercard and American Express for yearly plans; Amex works fine."


def _restart() -> None:
    """What a new process starts from: no engine loaded, no version engine cached."""
    clear_engines()
    version_engines.clear()


def _teach(client: TestClient, agent: Actor, external_id: str, question: str, answer: str) -> None:
    m = ingest(client, agent, external_id, question)
    assert m["suggestion"]["text"] != answer
    rate(client, agent, m["id"], useful=False)
    reply(client, agent, m["id"], answer)


def test_agent_reply_survives_a_restart(env: Env, agent: Actor) -> None:
    with TestClient(create_app(env.settings)) as client:
        _teach(client, agent, "r-1", QUESTION, CORRECTION)
        # Instant learning: the running process answers the paraphrase with the agent's reply.
        assert ingest(client, agent, "r-2", PARAPHRASE)["suggestion"]["text"] == CORRECTION

    _restart()
    with TestClient(create_app(env.settings)) as client:
        again = ingest(client, agent, "r-3", PARAPHRASE + " Thanks!")
    assert again["suggestion"]["text"] == CORRECTION
    assert any(e["ref_id"] == f"message:{_first_id(env)}" for e in again["suggestion"]["evidence"])


def test_a_restart_reads_remembered_vectors_back_instead_of_embedding(
    env: Env, agent: Actor, embedded_texts: list[str]
) -> None:
    with TestClient(create_app(env.settings)) as client:
        _teach(client, agent, "c-1", QUESTION, CORRECTION)
    assert QUESTION in embedded_texts  # the agent's reply was remembered: its message embedded
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(MemoryVector)) >= 1

    _restart()
    embedded_texts.clear()
    with TestClient(create_app(env.settings)) as client:
        again = ingest(client, agent, "c-2", PARAPHRASE + " Thanks!")
    assert again["suggestion"]["text"] == CORRECTION  # replayed into the new process's memory
    assert QUESTION not in embedded_texts  # from the database's vector, not the model


def test_without_the_vector_cache_a_restart_embeds_again(
    env: Env, agent: Actor, embedded_texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(env.settings, "memory_vector_cache", False)
    with TestClient(create_app(env.settings)) as client:
        _teach(client, agent, "n-1", QUESTION, CORRECTION)
    _restart()
    embedded_texts.clear()
    with TestClient(create_app(env.settings)) as client:
        again = ingest(client, agent, "n-2", PARAPHRASE + " Thanks!")
    assert again["suggestion"]["text"] == CORRECTION
    assert QUESTION in embedded_texts
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(MemoryVector)) == 0


def _topic_in_memory(env: Env, ref: str) -> str:
    engine = version_engines.live_engine(env.settings)
    _, active, entries = engine.memory.snapshot()  # type: ignore[attr-defined]
    (topic,) = {e.topic for e, on in zip(entries, active, strict=True) if on and e.ref_id == ref}
    return str(topic)


def test_a_replayed_reply_keeps_the_topic_an_agent_corrected(env: Env, agent: Actor) -> None:
    with TestClient(create_app(env.settings)) as client:
        m = ingest(client, agent, "t-1", QUESTION)
        r = client.post(f"/api/messages/{m['id']}/corrections",
                        json={"field": "topic", "value": "paypal-payments", "new_topic": True},
                        headers=agent.headers)  # fmt: skip
        assert r.status_code == 201, r.text
        rate(client, agent, m["id"], useful=False)
        reply(client, agent, m["id"], CORRECTION)
        assert _topic_in_memory(env, f"message:{m['id']}") == "paypal-payments"

    _restart()
    with TestClient(create_app(env.settings)) as client:
        ingest(client, agent, "t-2", PARAPHRASE)
        assert _topic_in_memory(env, f"message:{m['id']}") == "paypal-payments"


def _first_id(env: Env) -> int:
    from smartinbox.models import Message

    with env.session() as s:
        return int(s.scalar(select(Message.id).where(Message.external_id == "r-1")) or 0)


def test_a_retrained_live_version_keeps_what_it_learned_while_live(env: Env, agent: Actor) -> None:
    # v1.1 is built (its reply memory file written) before the agent teaches anything.
    local_version(env, "v1.1", list(CASES[1:3]), status="candidate")
    with TestClient(create_app(env.settings)) as client:
        _teach(client, agent, "v-1", QUESTION, CORRECTION)  # while v1.0 is live
    with env.session() as s:
        versions.promote(s, "v1.1")
    with TestClient(create_app(env.settings)) as client:
        _teach(client, agent, "v-2", SECOND, SECOND_REPLY)  # while v1.1 is live
        # The same words as after the restart: the consensus choice reads the whole candidate
        # set, so a reworded message may fairly get another of the close replies.
        before = ingest(client, agent, "v-3", PARAPHRASE + " Thanks.")["suggestion"]["text"]
        assert ingest(client, agent, "v-4", SECOND_PARAPHRASE)["suggestion"]["text"] == SECOND_REPLY

    _restart()
    with TestClient(create_app(env.settings)) as client:
        second = ingest(client, agent, "v-5", SECOND_PARAPHRASE + " Thanks.")
        first = ingest(client, agent, "v-6", PARAPHRASE + " Thanks.")
        own = ingest(client, agent, "v-7", CASES[1][0] + " Please help.")
    assert second["suggestion"]["text"] == SECOND_REPLY  # learned while live: kept
    assert first["suggestion"]["text"] == before  # answered as before the restart
    assert own["suggestion"]["text"] == CASES[1][1]  # the version's own memory is still there
    with env.session() as s:
        live = versions.live_version(s)
        assert live.version_tag == "v1.1"
