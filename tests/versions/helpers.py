"""Real rejected interactions, and versions built on purpose to be better or worse than live."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from smartinbox.ai.artifacts import file_sha256
from smartinbox.ai.engine import MemoryItem
from smartinbox.feedback.local_retrain import write_memory
from smartinbox.models import AssistantVersion
from tests.conftest import Actor, Env
from tests.feedback.helpers import ingest, rate, reply

CASES = [
    ("Can I pay my invoice with PayPal instead of a credit card?",
     "Yes: open Billing > Payment methods, choose PayPal and confirm; the invoice updates at once."),
    ("My parcel never arrived, the tracking page has not moved for a week.",
     "I am sorry about the delay. I have opened a trace with the carrier and will send a replacement if it is not found by Friday."),
    ("How do I reset my password? The reset link in the email does not work.",
     "Reset links expire after an hour. Please use 'Forgot password' again and open the newest email within the hour."),
    ("I want to cancel my subscription before the next billing date.",
     "Your subscription is cancelled; you keep access until the end of the current billing period and will not be charged again."),
    ("The blender I received is broken, the lid is cracked.",
     "Sorry it arrived damaged. Reply with a photo of the lid and we will ship a new blender right away, no need to return the broken one."),
    ("Can I change the delivery address of my order to my office?",
     "Yes, as long as it has not shipped: go to Orders, choose the order, then Change address and enter your office address."),
]  # fmt: skip
# The same questions asked earlier in other words: what a version learned from, so that a stress
# test on CASES grades it on interactions outside its training data.
EARLIER = [
    "Do you accept PayPal for invoices, or only credit cards?",
    "Tracking for my package has been stuck for seven days and nothing arrived.",
    "The password reset email link is broken, how can I get back into my account?",
    "Please cancel my subscription so I am not billed again next month.",
    "My new blender came with a cracked lid, it is damaged.",
    "Please change the delivery address of my order to my office.",
]
WRONG = "Thanks for reaching out! Your order ORD-77123 has been refunded to your gift card"


def learned(replies: list[str] | None = None) -> list[tuple[str, str]]:
    """A memory of the agents' replies (or of `replies`) to the earlier wordings."""
    answers = replies or [a for _, a in CASES]
    return list(zip(EARLIER, answers, strict=True))


@dataclass
class Data:
    message_ids: list[int]


def rejected_interactions(client: TestClient, agent: Actor, rounds: int = 1) -> Data:
    """Each case rated 'no' with the agent's own reply: the stress test's default input."""
    ids = []
    for n in range(rounds):
        for i, (question, answer) in enumerate(CASES):
            m = ingest(client, agent, f"case-{n}-{i}", question)
            rate(client, agent, m["id"], useful=False)
            reply(client, agent, m["id"], answer)
            ids.append(m["id"])
    return Data(ids)


def local_version(
    env: Env, tag: str, memory: list[tuple[str, str]], status: str = "candidate"
) -> int:
    """A local version on the test models with exactly this reply memory."""
    path = env.tmp / "versions" / tag / "reply_memory.jsonl"
    items = (MemoryItem(q, a, "agent_reply", f"test:{i}") for i, (q, a) in enumerate(memory))
    count = write_memory(items, path)
    artifacts = {"models_dir": str(env.settings.resolved_models_dir()), "reply_memory": str(path),
                 "reply_memory_items": count, "reply_memory_sha256": file_sha256(path)}  # fmt: skip
    with env.session() as s:
        version = AssistantVersion(version_tag=tag, description=f"{tag} for tests",
                                   provider="local", status=status, artifacts=artifacts,
                                   system_prompt=f"Prompt of {tag}.\nBe kind.")  # fmt: skip
        s.add(version)
        s.flush()
        return version.id
