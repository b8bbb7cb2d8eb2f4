"""Finding 5: any parse failure is that line's problem; a file that cannot be imported at all
(binary, missing or misspelled columns) fails before the first row with a non-zero exit."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from smartinbox.cli import app as cli
from smartinbox.inbox.importer import ColumnMap, import_file
from tests.conftest import Env


def _run(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["import", str(path), "--no-analyze", *args])
    return result.exit_code, result.output


def test_a_deeply_nested_jsonl_line_is_one_line_error(sqlite_env: Env, tmp_path: Path) -> None:
    path = tmp_path / "nested.jsonl"
    deep = '{"body": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path.write_text(
        json.dumps({"body": "first"}) + "\n" + deep + "\n" + json.dumps({"body": "third"}) + "\n",
        encoding="utf-8",
    )
    code, output = _run(path, "--json")
    assert code == 0, output
    report = json.loads(output.strip().splitlines()[-1])
    assert report["created"] == 2
    assert report["problems"] == [{"line": 2, "error": "invalid JSON: nested too deeply"}]


def test_an_unterminated_quote_is_reported_not_merged(sqlite_env: Env, tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('body\nfine\n"never closed\nthird\nfourth\n', encoding="utf-8")
    report = import_file(path, sqlite_env.settings, ColumnMap(), analyze=False)
    assert report.created == 1
    assert len(report.problems) == 1 and report.problems[0].line == 3
    assert "unterminated quote" in report.problems[0].message


def test_a_missing_text_column_fails_before_the_first_row(sqlite_env: Env, tmp_path: Path) -> None:
    path = tmp_path / "cols.csv"
    path.write_text("message,reply\nhello,hi\n", encoding="utf-8")
    code, output = _run(path)
    assert code == 1
    assert "column 'body' (--text-col) is not in the CSV header" in output
    assert "line 2" not in output  # one error, not one per row
    code, output = _run(path, "--text-col", "message", "--reply-col", "replly")
    assert code == 1 and "column 'replly' (--reply-col)" in output
    jsonl = tmp_path / "cols.jsonl"
    jsonl.write_text(json.dumps({"message": "hello"}) + "\n", encoding="utf-8")
    code, output = _run(jsonl)
    assert code == 1 and "column 'body' (--text-col)" in output


def test_a_binary_file_is_refused_with_a_clear_error(sqlite_env: Env, tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4096))
    code, output = _run(path)
    assert code == 1 and "binary file" in output


def test_exit_is_non_zero_when_nothing_was_imported(sqlite_env: Env, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"body": "ok"\n[1, 2]\n', encoding="utf-8")
    code, output = _run(path, "--json")
    assert code == 1
    assert json.loads(output.strip().splitlines()[-1])["created"] == 0
