"""Real customer traffic for measuring (and partly training) triage, split once and for all.

Every row of the real sets in the shared data folder (`../shared/data/` beside the checkout, or
`SMARTINBOX_SHARED_DATA`) falls into `train`, `dev` or `held_out` by a SHA-256 of its set name and
its own id (or its text where a set has no id): 60% / 20% / 20%. The split never depends on the
order of the file, on a random seed or on which other rows are present, so a row stays in its
split whichever sample is drawn. Only `train` rows may go into shipped training data; cut-offs are
chosen on `dev`; `held_out` is read once, to report.
"""

from __future__ import annotations

import csv
import email
import email.header
import email.policy
import gzip
import hashlib
import html
import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

SPLITS = ("train", "dev", "held_out")
_TRAIN, _DEV = 60, 80  # buckets 0-59 train, 60-79 dev, 80-99 held out


def split_of(dataset: str, key: str) -> str:
    bucket = int.from_bytes(hashlib.sha256(f"{dataset}\x00{key}".encode()).digest()[:4]) % 100
    if bucket < _TRAIN:
        return "train"
    return "dev" if bucket < _DEV else "held_out"


@dataclass(frozen=True)
class RealRow:
    dataset: str  # cfpb | rsics | parakweet | cucom | spamassassin | sms
    key: str
    text: str
    subset: str  # e.g. "easy_ham", "hard_ham", "spam", "narrative", "opening_turn"
    spam: int
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def split(self) -> str:
        return split_of(self.dataset, self.key)

    def get(self, name: str) -> str:
        return dict(self.extra).get(name, "")


def shared_data_dir() -> Path:
    configured = os.environ.get("SMARTINBOX_SHARED_DATA")
    if configured:
        return Path(configured)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent.parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return here.parents[3] / "shared" / "data"


def _text_key(text: str) -> str:
    return hashlib.sha256(text.strip().lower().encode()).hexdigest()[:16]


def cfpb(root: Path) -> Iterator[RealRow]:
    """Consumer narratives of the CFPB register (rows without a narrative are skipped)."""
    with open(root / "cfpb-complaints" / "complaints.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = (row.get("Consumer complaint narrative") or "").strip()
            if text:
                extra = (("product", row["Product"]), ("issue", row["Issue"]))
                yield RealRow("cfpb", row["Complaint ID"], text, "narrative", 0, extra)


_BRACKETS = re.compile(r"[\[\]]")


def rsics(root: Path) -> Iterator[RealRow]:
    """Whole requests of RSiCS: the multi-intent requests, and the sentence-tagged requests
    (one row per request; `rant` = 1 when any sentence is tagged Rant or Express Emotion)."""
    folder = root / "rsics"
    with open(folder / "all_multi_intent.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = row["Text"].strip()
            if text:
                yield RealRow("rsics", f"multi:{row['Request ID']}", text, "multi_intent", 0)
    requests: dict[str, bool] = {}
    with open(folder / "tagged_selections_by_sentence.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = _BRACKETS.sub("", row["MergedSelections"]).strip()
            if not text:
                continue
            angry = row.get("Rant") == "1" or row.get("Express Emotion") == "1"
            requests[text] = requests.get(text, False) or angry
    for text, angry in requests.items():
        extra = (("rant", str(int(angry))),)
        yield RealRow("rsics", f"tagged:{_text_key(text)}", text, "tagged", 0, extra)


def parakweet(root: Path) -> Iterator[RealRow]:
    """Real e-mail sentences (each marked whether it asks the reader to act); all legitimate."""
    seen: set[str] = set()
    folder = root / "parakweet-email-intent"
    for name in ("Ask0729-fixed.txt", "testSet-qualifiedBatch-fixed.txt"):
        for line in (folder / name).read_text(encoding="utf-8", errors="replace").splitlines():
            label, _, text = line.partition("\t")
            text = text.strip()
            key = _text_key(text)
            if text and key not in seen:
                seen.add(key)
                yield RealRow("parakweet", key, text, "sentence", 0, (("asks", label.strip()),))


def cucom(root: Path) -> Iterator[RealRow]:
    """The opening customer turn of each CuCom conversation."""
    path = root / "cucom-ecommerce" / "cucom_ecommerce_v0_1.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            conversation = json.loads(line)
            for turn in conversation["turns"]:
                if str(turn["role"]).lower() == "user":
                    text = str(turn["content"]).strip()
                    if text:
                        yield RealRow("cucom", conversation["id"], text, "opening_turn", 0)
                    break


def sms(root: Path) -> Iterator[RealRow]:
    path = root / "sms-spam-collection" / "SMSSpamCollection.tsv"
    seen: set[str] = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        label, _, text = line.partition("\t")
        key = _text_key(text)
        if text.strip() and label in ("spam", "ham") and key not in seen:
            seen.add(key)
            yield RealRow("sms", key, text.strip(), label, int(label == "spam"))


def spamassassin(root: Path) -> Iterator[RealRow]:
    """Raw RFC 822 mail reduced to what the inbox shows: subject and plain-text body."""
    path = root / "spamassassin" / "spamassassin_public_corpus.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            folder = str(item["folder"])
            subset = "spam" if item["label"] == "spam" else (
                "hard_ham" if "hard" in folder else "easy_ham"
            )  # fmt: skip
            mail = parse_mail(str(item["raw"]))
            yield RealRow(
                "spamassassin", str(item["id"]), mail.text, subset, int(item["label"] == "spam"),
                (("sender", mail.sender), ("html", str(int(mail.html))),
                 ("links", str(mail.links))),
            )  # fmt: skip


@dataclass(frozen=True)
class ParsedMail:
    subject: str
    body: str
    sender: str
    html: bool
    links: int

    @property
    def text(self) -> str:
        return f"{self.subject}\n{self.body}".strip() if self.subject else self.body.strip()


_TAG = re.compile(r"<[^>]+>")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_SPACE = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_LINK = re.compile(r"https?://|www\.", re.I)
MAX_BODY_CHARS = 4000


def html_to_text(markup: str) -> str:
    markup = _SCRIPT.sub(" ", markup)
    markup = re.sub(r"<\s*(br|/p|/div|/tr|/li)\b[^>]*>", "\n", markup, flags=re.I)
    markup = re.sub(r"<a\b[^>]*href=[\"']?([^\"' >]+)[^>]*>", r" \1 ", markup, flags=re.I)
    text = html.unescape(_TAG.sub(" ", markup))
    return _BLANK_LINES.sub("\n\n", _SPACE.sub(" ", text)).strip()


def parse_mail(raw: str) -> ParsedMail:
    """Subject, sender and readable body of a raw e-mail (text/plain preferred, else HTML
    reduced to text, as the inbox shows it), whether it had HTML and how many links."""
    message: Message = email.message_from_string(raw, policy=email.policy.compat32)
    plain: list[str] = []
    markup: list[str] = []
    for part in message.walk() if message.is_multipart() else [message]:
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "latin-1"
        try:
            content = payload.decode(charset, errors="replace")
        except LookupError:
            content = payload.decode("latin-1", errors="replace")
        (markup if part.get_content_subtype() == "html" else plain).append(content)
    body = "\n".join(plain) if plain else html_to_text("\n".join(markup))
    links = max(len(_LINK.findall(body)), sum(len(_LINK.findall(m)) for m in markup))
    subject = _header(message, "Subject")
    return ParsedMail(
        subject=subject,
        body=body.strip()[:MAX_BODY_CHARS],
        sender=_header(message, "From"),
        html=bool(markup),
        links=links,
    )


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    try:
        parts = email.header.decode_header(str(value))
    except (ValueError, LookupError):
        return str(value).strip()
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            try:
                out.append(chunk.decode(charset or "latin-1", errors="replace"))
            except LookupError:
                out.append(chunk.decode("latin-1", errors="replace"))
        else:
            out.append(chunk)
    return " ".join(" ".join(out).split())


LOADERS = {
    "cfpb": cfpb,
    "rsics": rsics,
    "parakweet": parakweet,
    "cucom": cucom,
    "spamassassin": spamassassin,
    "sms": sms,
}


def load(dataset: str, split: str | None = None, root: Path | None = None) -> list[RealRow]:
    rows = LOADERS[dataset](root or shared_data_dir())
    return [r for r in rows if split is None or r.split == split]


# What of each set's `train` split goes into the shipped training sample
# (smartinbox/ai/data/real_traffic_sample.csv.gz): (dataset, subset) -> (kind, at most rows).
# SpamAssassin ham is mailing-list and newsletter mail, casual rather than a request; CFPB
# narratives and CuCom opening turns report a problem (complaint); RSiCS requests ask
# (question); Parakweet sentences ask the reader to act (question) or not (casual).
TRAINING_SAMPLE = {
    ("spamassassin", "spam"): ("spam", 1200),
    ("spamassassin", "easy_ham"): ("casual", 1000),
    ("spamassassin", "hard_ham"): ("casual", 200),
    ("cfpb", "narrative"): ("complaint", 400),
    ("cucom", "opening_turn"): ("complaint", 1000),
    ("rsics", "multi_intent"): ("question", 500),
    ("rsics", "tagged"): ("question", 500),
    ("parakweet", "sentence"): ("", 1200),
}
SAMPLE_FILE = "real_traffic_sample.csv.gz"
SAMPLE_CHARS = 1500
SMS_SAMPLE_FILE = "sms_spam_sample.csv.gz"
SMS_HAM_ROWS = 800


def build_training_samples(data_dir: Path, root: Path | None = None) -> dict[str, int]:
    """Write the shipped samples from the `train` split only (Python's `random.Random(0)`):
    the real-traffic sample, and the SMS sample (all train-split spam, 800 train-split ham)."""
    import random

    counts: dict[str, int] = {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["dataset", "key", "subset", "kind", "spam", "text"])
    loaded: dict[str, list[RealRow]] = {}
    for (dataset, subset), (kind, cap) in TRAINING_SAMPLE.items():
        if dataset not in loaded:
            loaded[dataset] = load(dataset, "train", root)
        rows = sorted((r for r in loaded[dataset] if r.subset == subset), key=lambda r: r.key)
        rows = random.Random(0).sample(rows, min(cap, len(rows)))
        for row in sorted(rows, key=lambda r: r.key):
            row_kind = kind or ("question" if row.get("asks") == "Yes" else "casual")
            text = row.text[:SAMPLE_CHARS]
            writer.writerow([dataset, row.key, subset, row_kind, row.spam, text])
        counts[f"{dataset}:{subset}"] = len(rows)
    (data_dir / SAMPLE_FILE).write_bytes(gzip.compress(out.getvalue().encode(), mtime=0))

    sms_rows = load("sms", "train", root)
    spam = sorted((r for r in sms_rows if r.spam), key=lambda r: r.key)
    ham = sorted((r for r in sms_rows if not r.spam), key=lambda r: r.key)
    ham = random.Random(0).sample(ham, min(SMS_HAM_ROWS, len(ham)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["label", "text"])
    for row in sorted([*spam, *ham], key=lambda r: r.key):
        writer.writerow(["spam" if row.spam else "ham", row.text])
    (data_dir / SMS_SAMPLE_FILE).write_bytes(gzip.compress(out.getvalue().encode(), mtime=0))
    counts["sms:spam"], counts["sms:ham"] = len(spam), len(ham)
    return counts


if __name__ == "__main__":  # python -m smartinbox.ai.real_data: rebuild the shipped samples
    print(json.dumps(build_training_samples(Path(__file__).parent / "data"), indent=1))
