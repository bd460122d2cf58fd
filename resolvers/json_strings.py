"""JSON-encoded object strings (Kili's `json*` fields: jsonMetadata, jsonInterface, jsonResponse),
decoded into values PostgreSQL's jsonb accepts.

Python's json module takes more than jsonb does: `NaN` and `Infinity`, numbers beyond double
precision (`1e400` decodes to infinity) and `\\u0000` escapes (a NUL character, which PostgreSQL
text cannot hold). Each would fail at INSERT time as an internal error; here it is the client's,
named.
"""

from __future__ import annotations

import json
import math
from typing import Any

from gateway.errors import BadUserInput


def parse_json_object(text: str | None, name: str, *, null_ok: bool = False) -> dict[str, Any] | None:
    """The object `text` encodes; `name` prefixes every error (e.g. "Item 3 (...): jsonMetadata").
    With `null_ok`, no text or the JSON `null` decode to None."""
    if text is None:
        if null_ok:
            return None
        raise BadUserInput(f"{name} must be a JSON-encoded object string, got null.")
    try:
        parsed = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (TypeError, ValueError) as exc:
        raise BadUserInput(f"{name} must be a JSON-encoded object string: {exc}.") from None
    if parsed is None and null_ok:
        return None
    if not isinstance(parsed, dict):
        raise BadUserInput(f"{name} must be a JSON object, got {type(parsed).__name__}.")
    if "\\u0000" in text and _has_nul(parsed):
        raise BadUserInput(f"{name} must not contain NUL characters (\\u0000): PostgreSQL cannot store them.")
    return parsed


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is beyond double precision")
    return value


def _has_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
