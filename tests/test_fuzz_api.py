"""Schemathesis fuzzes every operation of the app's own OpenAPI schema as an admin.

Positive (schema-valid) and negative (schema-violating) cases, a bounded number per
operation: no answer may be a 5xx, and every documented answer must match its schema.
Runs on SQLite and on PostgreSQL (where integer overflow and odd text reach a real server).
The counts are printed as one JSON line (run with -s to see them).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.conftest import Actor, Env

MAX_EXAMPLES = int(os.environ.get("SMARTINBOX_FUZZ_EXAMPLES", "25"))


@schemathesis.serializer("message/rfc822")
def _raw_mail(_ctx: Any, value: Any) -> bytes:
    """The inbound e-mail hook takes a raw mail: generated text or bytes sent as they are."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")


def _seed(client: TestClient, admin: Actor) -> None:
    """A few rows, so that small generated ids hit real messages and replay entries."""
    for i in range(3):
        r = client.post(
            "/api/messages",
            json={"channel": "api", "external_id": f"fuzz-{i}", "body": f"Where is order {i}?"},
            headers=admin.headers,
        )
        assert r.status_code == 201, r.text


def _checks(mode: GenerationMode) -> list[Any]:
    if mode is GenerationMode.POSITIVE:  # schema-valid input: the answer must match its schema
        return [not_a_server_error, response_schema_conformance, content_type_conformance]
    return [not_a_server_error]


def _fuzzer(operation: Any, mode: GenerationMode, headers: dict[str, str], statuses: Counter[int]):  # type: ignore[no-untyped-def]
    checks = _checks(mode)

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:  # type: ignore[no-untyped-def]
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=checks)

    return run


@pytest.mark.slow
def test_no_server_error_and_schema_conformance(
    env: Env, app, client: TestClient, admin: Actor
) -> None:  # type: ignore[no-untyped-def]
    _seed(client, admin)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    statuses: Counter[int] = Counter()
    operations = 0
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = _fuzzer(operation, mode, admin.headers, statuses)
            try:
                run()
            except Unsatisfiable:  # nothing can violate this schema (no parameters, no body)
                continue
            except (
                Exception,
                BaseExceptionGroup,
            ) as exc:  # collect every operation's failure, then report all
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    print(
        json.dumps(
            {
                "fuzz": env.backend,
                "operations": operations,
                "cases": sum(statuses.values()),
                "status_counts": dict(sorted(statuses.items())),
                "server_errors": sum(n for s, n in statuses.items() if s >= 500),
            }
        )
    )
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
