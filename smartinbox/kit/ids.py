"""Path ids: a row id is a positive 64-bit integer; anything else is a 422, not a database error."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from smartinbox.kit.errors import ValidationFailed

MAX_ROW_ID = 2**63 - 1

MIN_INT64 = -(2**63)

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="Row id (a positive 64-bit integer).")]
# A whole number a query may carry into SQL: anything past 64 bits is a 422, not an overflow.
Int64Query = Annotated[
    int | None, Query(ge=MIN_INT64, le=MAX_ROW_ID, description="A 64-bit whole number.")
]


def row_id(value: str | None, field: str) -> int | None:
    """A row id sent as text (form and filter fields): blank is None, else 1 to 2^63-1."""
    text = (value or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ROW_ID:
        raise ValidationFailed(
            f"{field} must be a whole number from 1 to {MAX_ROW_ID}", field=field
        )
    return int(text)
