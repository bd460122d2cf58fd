"""JSON-encoded object strings (Kili's `json*` fields: jsonMetadata, jsonInterface, jsonResponse),
decoded into values PostgreSQL's jsonb accepts.

Python's json module takes more than jsonb does: `NaN` and `Infinity`, numbers beyond double
precision (`1e400` decodes to infinity), `\\u0000` escapes (a NUL character, which PostgreSQL text
cannot hold) and nesting deep enough to exhaust the recursion of the encoder on the way to the
database (about 900 levels). Each would fail at INSERT time as an internal error; here it is the
client's, named. Nesting is limited to MAX_JSON_DEPTH levels (Kili's label trees use a few dozen).
"""

from __future__ import annotations

import json
import math
from typing import Any

from gateway.errors import BadUserInput

MAX_JSON_DEPTH = 100


def parse_json_object(text: str | None, name: str, *, null_ok: bool = False) -> dict[str, Any] | None:
    """The object `text` encodes; `name` prefixes every error (e.g. "Item 3 (...): jsonMetadata").
    With `null_ok`, no text or the JSON `null` decode to None."""
    if text is None:
        if null_ok:
            return None
        raise BadUserInput(f"{name} must be a JSON-encoded object string, got null.")
    try:
        if isinstance(text, str):
            parsed = _DECODER.decode(text)
        else:
            parsed = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (TypeError, ValueError) as exc:
        raise BadUserInput(f"{name} must be a JSON-encoded object string: {exc}.") from None
    except RecursionError:
        raise BadUserInput(f"{name} is nested deeper than {MAX_JSON_DEPTH} levels.") from None
    if parsed is None and null_ok:
        return None
    if not isinstance(parsed, dict):
        raise BadUserInput(f"{name} must be a JSON object, got {type(parsed).__name__}.")
    # Walk the value only when the text says it may be needed (label responses can be megabytes).
    if "\\u0000" in text or text.count("[") + text.count("{") > MAX_JSON_DEPTH:
        problem = json_value_problem(parsed)
        if problem is not None:
            raise BadUserInput(f"{name}: {problem}")
    return parsed


def json_value_problem(value: Any, *, nul: bool = True) -> str | None:
    """What PostgreSQL's jsonb cannot take in a decoded JSON value (NUL characters in strings or
    keys unless `nul` is False, NaN or infinite numbers, nesting deeper than MAX_JSON_DEPTH), or None."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if nul and "\x00" in item:
                return "NUL characters (\\u0000) are not accepted: PostgreSQL cannot store them."
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"JSON numbers must be finite, got {item}."
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return f"nested deeper than {MAX_JSON_DEPTH} levels."
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is beyond double precision")
    return value


# One decoder for every call: `json.loads` with hooks builds a new one each time, which costs about as
# much as decoding a small object (bulk writes decode one per item).
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)
