"""Path ids: a row id is a positive 64-bit integer; anything else is a 422, not a database error."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2**63 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="Row id (a positive 64-bit integer).")]
