"""CSAT through the real app: a solving reply carries a signed link; the customer rates once
without logging in; the rating shows on the conversation and in the CSAT summary."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from smartinbox.config import get_settings
from smartinbox.csat import service as csat
from smartinbox.kit.errors import ValidationFailed
from smartinbox.models import CsatRating
from tests.conftest import Actor, Env, drain


def _solved_link(client: TestClient, agent: Actor, key: str) -> tuple[int, str]:
    r = client.post(
        "/api/messages",
        json={
            "channel": "chat",
            "external_id": key,
            "body": "My invoice is wrong.",
            "conversation_key": key,
        },
        headers=agent.headers,
    )
    assert r.status_code == 201, r.text
    drain()
    cid = r.json()["conversation_id"]
    sent = client.post(
        f"/api/conversations/{cid}/reply",
        json={"text": "Fixed: the corrected invoice is in your account.", "status": "solved"},
        headers=agent.headers,
    )
    assert sent.status_code == 201, sent.text
    found = re.search(r"http://localhost:8000(/csat/\S+)$", sent.json()["text"])
    assert found, sent.json()["text"]
    return cid, found.group(1)


def test_customer_rates_a_solved_conversation_once_without_login(
    env: Env, client: TestClient, agent: Actor
) -> None:
    cid, path = _solved_link(client, agent, "csat1")
    client.cookies.clear()  # the customer: no session, no token
    page = client.get(path)
    assert page.status_code == 200 and 'id="csat-form"' in page.text

    bad = client.post(path, data={"rating": "9"})
    assert bad.status_code == 422 and "rating" in bad.text
    done = client.post(path, data={"rating": "4", "comment": "Quick & kind <thanks>"})
    assert done.status_code == 200 and "you rated this conversation 4 out of 5" in done.text
    again = client.post(path, data={"rating": "1"})
    assert again.status_code == 409 and "already rated" in again.text
    with env.session() as s:
        assert s.scalar(select(func.count()).select_from(CsatRating)) == 1
        assert csat.summary(s) == {"ratings": 1, "csat": 1.0, "average": 4.0}

    tampered = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    assert client.get(tampered).status_code == 404

    conversation = client.get(f"/conversations/{cid}", headers=agent.headers)
    assert conversation.status_code == 200
    assert 'id="csat-ratings"' in conversation.text and "4 / 5" in conversation.text
    assert "Quick &amp; kind &lt;thanks&gt;" in conversation.text


class _TwoDaysAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 2 * 86400


def test_expired_link_is_refused(env: Env, client: TestClient, agent: Actor) -> None:
    _cid, path = _solved_link(client, agent, "csat2")
    settings = get_settings().model_copy(update={"csat_link_max_age_days": 1})
    token = path.rsplit("/", 1)[1]
    payload = csat._serializer(settings).loads(token)
    stale = URLSafeTimedSerializer(
        settings.resolved_secret_key(), salt=csat.SALT, signer=_TwoDaysAgo
    ).dumps(payload)
    assert csat.read_token(settings, token).conversation_id == _cid
    with pytest.raises(ValidationFailed, match="expired"):
        csat.read_token(settings, stale)
