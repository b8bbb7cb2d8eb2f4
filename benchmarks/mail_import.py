"""E-mail ingest: mbox import throughput (`smartinbox mail import`) and, through the inbound
hook of a running `smartinbox serve`, the time from a posted mail to its stored suggestion.

SQLite (+ SQLite queue). Writes benchmarks/results/mail_import.json.

    python -m benchmarks.mail_import [--mails 10000] [--hook 50] [--models-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import mailbox
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import ROOT, Deployment, machine, summary_ms, write_result

TEXTS = [
    "Where is my order {n}? It was due on Monday.",
    "I was charged twice for invoice INV-{n}, please refund one.",
    "HELP! Checkout is broken for all customers right now!",
    "Can I change the delivery address for order {n}?",
    "Thanks for the quick help yesterday!",
    "How do I reset my password? The email never arrives.",
]
START = datetime(2026, 11, 1, tzinfo=UTC)


def _mail(i: int, prefix: str) -> bytes:
    """A realistic mix: a third are replies in a thread with quoted history, some HTML-only,
    a few with a small attachment."""
    msg = EmailMessage()
    msg["From"] = f"Customer {i % 700} <c{i % 700}@customer.example>"
    msg["To"] = "support@shop.example"
    msg["Date"] = format_datetime(START + timedelta(minutes=i))
    msg["Message-ID"] = f"<{prefix}-{i}@customer.example>"
    text = random.choice(TEXTS).format(n=100000 + i)
    subject = f"Order {100000 + i % 3000}"
    if i % 3 == 2:
        root = f"<{prefix}-{i - 2}@customer.example>"
        msg["In-Reply-To"] = root
        msg["References"] = root
        subject = f"Re: Order {100000 + (i - 2) % 3000}"
        text += "\n\nOn Mon, Support <support@shop.example> wrote:\n> We are looking into it.\n"
    msg["Subject"] = subject
    if i % 5 == 4:
        msg.set_content(f"<html><body><p>{text}</p></body></html>", subtype="html")
    else:
        msg.set_content(text + "\n-- \nCustomer\n")
    if i % 20 == 0:
        msg.add_attachment(
            b"%PDF-1.4 " + bytes(2000),
            maintype="application",
            subtype="pdf",
            filename="receipt.pdf",
        )
    return msg.as_bytes()


def bench_import(dep: Deployment, path: Path, n: int) -> dict[str, Any]:
    box = mailbox.mbox(path)
    for i in range(n):
        box.add(_mail(i, "mbox"))
    box.flush()
    box.close()
    size = path.stat().st_size
    started = time.perf_counter()
    first = json.loads(dep.cli("mail", "import", str(path), "--json", "--no-analyze"))
    wall = time.perf_counter() - started
    again = json.loads(dep.cli("mail", "import", str(path), "--json", "--no-analyze"))
    first.pop("problems")
    again.pop("problems")
    return {
        "mbox_bytes": size,
        "first": {**first, "process_wall_s": round(wall, 2)},
        "again": again,
    }


def bench_hook(dep: Deployment, n: int, gap_s: float) -> dict[str, Any]:
    """One mail at a time through POST /api/inbound/email; time to a stored suggestion."""
    latencies, to_suggestion = [], []
    headers = {**dep.headers, "Content-Type": "message/rfc822"}
    with httpx.Client(base_url=dep.url, timeout=60) as client:
        for i in range(n):
            raw = _mail(i, "hook")
            t0 = time.perf_counter()
            r = client.post("/api/inbound/email", content=raw, headers=headers)
            latencies.append(time.perf_counter() - t0)
            assert r.status_code == 201, r.text
            message_id = r.json()["message"]["id"]
            while True:
                detail = client.get(f"/api/messages/{message_id}", headers=dep.headers).json()
                if detail["suggestion"] is not None:
                    to_suggestion.append(time.perf_counter() - t0)
                    break
                if time.perf_counter() - t0 > 60:
                    raise RuntimeError(f"no suggestion for message {message_id} in 60 s")
                time.sleep(0.01)
            time.sleep(gap_s)
    return {
        "mails": n,
        "post_latency": summary_ms(latencies),
        "post_to_suggestion": summary_ms(to_suggestion),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mails", type=int, default=10000)
    parser.add_argument("--hook", type=int, default=50)
    parser.add_argument("--gap", type=float, default=0.1)
    parser.add_argument("--models-dir", type=Path, default=ROOT / "var" / "bench-models")
    args = parser.parse_args()
    from smartinbox.ai.training import ensure_models

    ensure_models(args.models_dir)
    random.seed(0)
    result: dict[str, Any] = {
        "benchmark": "mail_import",
        "machine": machine(),
        "params": {k: str(v) for k, v in vars(args).items()},
    }
    with tempfile.TemporaryDirectory() as tmp:
        dep = Deployment("sqlite", Path(tmp), args.models_dir).start(worker=True)
        try:
            result["hook"] = bench_hook(dep, args.hook, args.gap)
            result["mbox"] = bench_import(dep, Path(tmp) / "support.mbox", args.mails)
        finally:
            dep.stop()
    write_result("mail_import", result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
