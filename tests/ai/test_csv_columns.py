"""A team's CSV as its tools export it: any common delimiter, encoding and header spelling."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartinbox.ai.csv_eval import CsvColumnError, read_columns


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_semicolons_and_a_byte_order_mark(tmp_path: Path) -> None:
    path = _write(tmp_path, "export.csv", "\ufeffText;Label\n\"Café order, late\";shipping\n"
                  "Hi there;casual\n".encode())  # fmt: skip
    assert read_columns(path, ["text", "label"]) == [
        ["Café order, late", "shipping"],
        ["Hi there", "casual"],
    ]


def test_windows_1252_tab_separated(tmp_path: Path) -> None:
    path = _write(tmp_path, "export.tsv", "message\ttopic\nCafé refund – when?\tbilling\n"
                  .encode("cp1252"))  # fmt: skip
    assert read_columns(path, ["message", "topic"]) == [["Café refund – when?", "billing"]]


def test_header_case_and_spaces_quoted_newlines_and_empty_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, "export.csv", b' Message , Topic \n"Line one\nline two",billing\n'
                  b",shipping\nno label,\n")  # fmt: skip
    assert read_columns(path, ["message", "topic"]) == [["Line one\nline two", "billing"]]


def test_a_long_email_thread_in_one_field(tmp_path: Path) -> None:
    body = "Please see the thread below. " + "> quoted line\n" * 20_000  # ~300 KB
    path = _write(tmp_path, "long.csv", f'text,label\n"{body}",billing\n'.encode())
    ((text, label),) = read_columns(path, ["text", "label"])
    assert len(text) == len(body.strip()) and label == "billing"


def test_a_missing_column_is_named_with_the_columns_there_are(tmp_path: Path) -> None:
    path = _write(tmp_path, "export.csv", b"subject;body;queue\nHi;Where is it?;orders\n")
    with pytest.raises(CsvColumnError) as err:
        read_columns(path, ["body", "topic"])
    assert "'topic'" in str(err.value) and "subject, body, queue" in str(err.value)
    assert "'body'" not in str(err.value)


def test_the_limit_stops_reading(tmp_path: Path) -> None:
    path = _write(tmp_path, "big.csv", b"text,label\n" + b"hello,casual\n" * 1000)
    assert len(read_columns(path, ["text", "label"], limit=10)) == 10


def test_html_values_become_their_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "message,reply\n"
        '"<p>My card was <b>declined</b></p>","<p>Sorry!</p><p>Try again<br>tomorrow.</p>"\n'
        '"plain message","<div> </div>"\n'
        '"<p>Hello <b>team</b>,</p><table><tr><td>a</td><td>b</td></tr></table>","ok"\n',
        encoding="utf-8",
    )
    rows = read_columns(path, ["message", "reply"], replies=["reply"])
    # The message on one line, as triage reads it; the reply with its paragraphs. A reply
    # with no visible text is an empty value: the row is skipped.
    assert rows == [
        ["My card was declined", "Sorry!\n\nTry again\ntomorrow."],
        ["Hello team, a b", "ok"],  # inline tags join words, blocks and cells part them
    ]


def test_jsonl_history_reads_by_key(tmp_path: Path) -> None:
    # The import format: one object per line; keys in any case, numbers and booleans as
    # written, blank lines and rows missing a value skipped, HTML as visible text.
    path = _write(tmp_path, "history.jsonl", "\n".join([
        '{"Body": "<p>Where is my <b>order</b>?</p>", "queue": 3, "vip": true}',
        "",
        '{"body": "Refund please", "queue": null}',
        '{"body": "Café bill", "queue": "billing", "extra": {"a": 1}}',
    ]).encode())  # fmt: skip
    assert read_columns(path, ["body", "queue"]) == [
        ["Where is my order?", "3"],
        ["Café bill", "billing"],
    ]
    assert read_columns(path, ["body", "vip"]) == [["Where is my order?", "true"]]


def test_jsonl_errors_name_the_line_or_the_keys(tmp_path: Path) -> None:
    broken = _write(tmp_path, "broken.ndjson", b'{"text": "hi", "label": "casual"}\n{"text": \n')
    with pytest.raises(CsvColumnError, match=r"line 2: invalid JSON"):
        read_columns(broken, ["text", "label"])
    listed = _write(tmp_path, "list.jsonl", b'["hi", "casual"]\n')
    with pytest.raises(CsvColumnError, match=r"line 1: not a JSON object"):
        read_columns(listed, ["text", "label"])
    keys = _write(tmp_path, "keys.jsonl", b'{"subject": "Hi", "body": "Where?"}\n')
    with pytest.raises(CsvColumnError) as err:
        read_columns(keys, ["body", "topic"])
    assert "'topic'" in str(err.value) and "subject, body" in str(err.value)
    assert "'body'" not in str(err.value)
