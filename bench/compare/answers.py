"""Are the answers equal? Each system's answer to a workload, mapped to one plain shape, and the first
difference between two of them.

labelgate (and the floor, which answers in labelgate's shape) gives `jsonResponse` as a JSON-encoded
string and times as ISO-8601 with milliseconds and `Z`; PostGraphile names fields after the columns
(`rowId`, `labelsByAssetId.nodes`, `appUserByAuthorId`), gives jsonb as a JSON value and timestamps
with microseconds and `+00:00`. The common shape keeps ids, order, label lists, authors, projects,
the parsed json and the times (to the millisecond, labelgate's precision) and counts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


class AnswerError(Exception):
    """An answer that is an error, or not the shape the workload asks for."""


def normalise(workload: str, postgraphile: bool, answer: dict) -> Any:
    """The comparable form of one answer to a read workload (W1-W3) or an append (W4: the ids)."""
    if answer.get("errors") or answer.get("data") is None:
        raise AnswerError(json.dumps(answer.get("errors"))[:2000])
    data = answer["data"]
    if workload == "W1":
        if postgraphile:
            return [_pg_asset(node) for node in data["allAssets"]["nodes"]]
        return [_lg_asset(asset) for asset in data["assets"]]
    if workload == "W2":
        asset = data["assetByRowId"] if postgraphile else data["asset"]
        if asset is None:
            return None
        return {
            "id": asset["rowId" if postgraphile else "id"],
            "status": asset["status"],
            "externalId": asset["externalId"],
        }
    if workload == "W3":
        return data["allAssets"]["totalCount"] if postgraphile else data["countAssets"]
    if workload == "W4":
        return [row["id"] for row in data["data"]]
    raise ValueError(workload)


def _lg_asset(asset: dict) -> dict:
    return {
        "id": asset["id"],
        "labels": [
            {
                "id": label["id"],
                "jsonResponse": json.loads(label["jsonResponse"]),
                "createdAt": millis(label["createdAt"]),
                "author": {"id": label["author"]["id"], "email": label["author"]["email"]},
            }
            for label in asset["labels"]
        ],
        "project": {"id": asset["project"]["id"], "title": asset["project"]["title"]},
    }


def _pg_asset(node: dict) -> dict:
    project = node["projectByProjectId"]
    return {
        "id": node["rowId"],
        "labels": [
            {
                "id": label["rowId"],
                "jsonResponse": label["jsonResponse"],
                "createdAt": millis(label["createdAt"]),
                "author": {"id": label["appUserByAuthorId"]["rowId"], "email": label["appUserByAuthorId"]["email"]},
            }
            for label in node["labelsByAssetId"]["nodes"]
        ],
        "project": {"id": project["rowId"], "title": project["title"]},
    }


def millis(text: str) -> str:
    """An ISO-8601 time in any of the systems' spellings, as UTC to the millisecond (truncated)."""
    moment = datetime.fromisoformat(text.replace(" ", "T")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def first_difference(left: Any, right: Any, path: str = "") -> str | None:
    """Where `left` and `right` first differ (`[3].labels[1].createdAt: 'a' != 'b'`), or None.
    Numbers compare by value (PostGraphile's 0 equals labelgate's 0.0), not by type."""
    if isinstance(left, dict) and isinstance(right, dict):
        if left.keys() != right.keys():
            return f"{path or '.'}: keys {sorted(left)} != {sorted(right)}"
        for key in left:
            found = first_difference(left[key], right[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list) and isinstance(right, list):
        for index, (a, b) in enumerate(zip(left, right, strict=False)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        if len(left) != len(right):
            return f"{path or '.'}: {len(left)} items != {len(right)} items"
        return None
    if _number(left) and _number(right):
        equal = left == right
    else:
        equal = type(left) is type(right) and left == right
    return None if equal else f"{path or '.'}: {left!r} != {right!r}"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
