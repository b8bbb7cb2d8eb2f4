from __future__ import annotations

from pathlib import Path

import pytest

from smartinbox.config import Settings


def test_every_setting_is_documented() -> None:
    undocumented = [
        name for name, f in Settings.model_fields.items() if not (f.description or "").strip()
    ]
    assert undocumented == []


def test_every_setting_is_in_the_configuration_doc() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text()
    missing = [n for n in Settings.model_fields if f"SMARTINBOX_{n.upper()}" not in doc]
    assert missing == []


def test_defaults_to_an_sqlite_file_with_data_folder_beside_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SMARTINBOX_DATABASE_URL", raising=False)
    monkeypatch.delenv("SMARTINBOX_DATA_DIR", raising=False)
    settings = Settings()
    assert settings.is_sqlite
    assert settings.sqlite_path() == Path("var/smartinbox.db")
    assert settings.resolved_data_dir() == Path("var/data")
    assert settings.resolved_models_dir() == Path("var/data/models")


def test_plain_postgres_url_uses_psycopg3() -> None:
    settings = Settings(database_url="postgresql://u:p@db/x")
    assert settings.database_url == "postgresql+psycopg://u:p@db/x"
    assert not settings.is_sqlite


def test_production_refuses_placeholder_secret(tmp_path: Path) -> None:
    settings = Settings(environment="production", secret_key="changeme", data_dir=tmp_path)
    with pytest.raises(ValueError, match="SMARTINBOX_SECRET_KEY"):
        settings.resolved_secret_key()


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = settings.resolved_secret_key()
    assert len(first) > 40
    assert Settings(data_dir=tmp_path).resolved_secret_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
