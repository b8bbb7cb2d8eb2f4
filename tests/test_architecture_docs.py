"""docs/architecture.md names every package folder, and the facts it states about the code."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "smartinbox"
DOC = ROOT / "docs" / "architecture.md"
SKIP = {"__pycache__", "vendor"}


def package_folders() -> list[str]:
    """Every top-level folder of the package, and every deeper folder holding Python code."""
    found = set()
    for path in PACKAGE.rglob("*"):
        if not path.is_dir() or SKIP & set(path.relative_to(PACKAGE).parts):
            continue
        rel = path.relative_to(PACKAGE).as_posix()
        if "/" not in rel or any(path.glob("*.py")):
            found.add(rel)
    return sorted(found)


def test_every_package_folder_is_named_in_the_architecture_doc() -> None:
    text = DOC.read_text(encoding="utf-8")
    folders = package_folders()
    assert {"feedback", "analytics", "ai/providers", "migrations/versions"} <= set(folders)
    missing = [f for f in folders if not re.search(rf"(?<![\w/]){re.escape(f)}/", text)]
    assert missing == [], f"docs/architecture.md does not name: {missing}"


def test_the_domain_file_table_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    columns = ["repository", "service", "schemas", "endpoints", "views", "tasks", "cli"]
    rows = re.findall(r"^\| (\w+) \| (.+) \|$", text, flags=re.MULTILINE)
    table = {name: [c.strip() for c in cells.split("|")] for name, cells in rows}
    checked = 0
    for domain, cells in table.items():
        folder = PACKAGE / domain
        if not folder.is_dir():
            continue
        for column, cell in zip(columns, cells, strict=False):
            exists = (folder / f"{column}.py").exists()
            assert exists == cell.startswith("yes"), f"{domain}/{column}.py: the doc says {cell!r}"
            checked += 1
    assert checked >= 40


def test_every_service_that_opens_a_transaction_is_named() -> None:
    """A module outside cli.py / tasks.py / deps.py / db.py that calls session_scope() owns a
    transaction; the doc must say so."""
    text = DOC.read_text(encoding="utf-8")
    owners = []
    for path in PACKAGE.rglob("*.py"):
        if path.name in ("cli.py", "tasks.py", "deps.py", "db.py"):
            continue
        if "session_scope(" in path.read_text(encoding="utf-8"):
            owners.append(path.relative_to(PACKAGE).as_posix())
    assert owners
    missing = [o for o in owners if o not in text]
    assert missing == [], f"docs/architecture.md does not name these transaction owners: {missing}"
