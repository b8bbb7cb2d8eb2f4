"""Migration 0009 threads the messages stored before it: each message starts its own
conversation, then the same customer's messages on the same subject within the window join."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from smartinbox.config import Settings
from smartinbox.db import reset_engines
from smartinbox.migrations import runner

ROWS = [
    # id, customer, subject, received, status
    (1, 1, "Order late", "2026-11-01 09:00:00", "replied"),
    (2, 1, "Re: order  late", "2026-11-02 09:00:00", "open"),
    (3, 1, "Order late", "2026-12-01 09:00:00", "new"),  # past the 7-day window
    (4, 2, "Order late", "2026-11-01 10:00:00", "closed"),  # another customer
    (5, None, "Order late", "2026-11-01 11:00:00", "new"),  # no customer: alone
]


def test_existing_messages_are_threaded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    settings = Settings(database_url=url)
    runner.upgrade(settings, "0006")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customers (id, email, name, created_at) VALUES "
                "(1, 'ann@example.com', 'Ann', '2026-11-01'), "
                "(2, 'bob@example.com', 'Bob', '2026-11-01')"
            )
        )
        for mid, customer, subject, at, status in ROWS:
            conn.execute(
                text(
                    "INSERT INTO messages (id, channel, external_id, customer_id, subject, body, "
                    "body_format, received_at, status, source, updated_at, created_at) VALUES "
                    "(:id, 'email', :ext, :customer, :subject, 'text', 'text', :at, :status, "
                    "'api', :at, :at)"
                ),
                {"id": mid, "ext": f"m{mid}", "customer": customer, "subject": subject,
                 "at": at, "status": status},
            )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO agent_replies (id, message_id, text, usage, created_at) "
                "VALUES (1, 1, 'Sorry!', 'none', '2026-11-01 12:00:00')"
            )
        )
    engine.dispose()
    reset_engines()
    runner.upgrade(settings)
    engine = create_engine(url)
    with engine.connect() as conn:
        of = dict(conn.execute(text("SELECT id, conversation_id FROM messages")).all())
        conversations = {
            row.id: row
            for row in conn.execute(
                text(
                    "SELECT id, status, message_count, subject_key, first_response_at "
                    "FROM conversations"
                )
            )
        }
    engine.dispose()
    reset_engines()
    assert of[1] == of[2]
    assert len({of[1], of[3], of[4], of[5]}) == 4
    assert len(conversations) == 4
    joined = conversations[of[1]]
    assert joined.message_count == 2 and joined.subject_key == "order late"
    assert joined.status == "open"  # its latest message is open
    assert joined.first_response_at is not None
    assert conversations[of[4]].status == "closed"
    assert conversations[of[3]].first_response_at is None
