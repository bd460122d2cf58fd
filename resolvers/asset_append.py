"""Appending assets to a project (Kili's `appendManyAssets`) and finding external ids already taken
(`filterExistingAssets`).

A batch is all or nothing, in one transaction: every item is validated (arrays, JSON, ids, external
ids unique within the call, content) before anything is written, and the rows go in as one
INSERT ... SELECT FROM unnest(<one array per column>) ON CONFLICT DO NOTHING RETURNING id. Ids and
external ids already taken are found by that INSERT itself (rows it skipped), so the usual call costs,
after authentication, two statements: `writable_target` (the project, the viewer's role there and its
archive flag, in one) and the INSERT. When rows were skipped, one more statement names the clashes and
the transaction is rolled back.

Appends are the bulk path, so no ORM object is made: the items are validated into lists of column
values (one list per column, `AppendedAssets`), the INSERT is sent as SQL text with one array
parameter per column (the same statement text for any batch size, under PostgreSQL's parameter limit
however long the batch), and the answer reads those lists back: a client asking `{ id }` costs no row
of Python values at all.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select, union_all

from gateway.context import RequestContext
from gateway.db.ids import new_id
from gateway.db.models import Asset, utcnow
from gateway.errors import BadUserInput, Conflict
from resolvers.arrays import values_table
from resolvers.content import ContentRequest, is_external_url, resolve_contents
from resolvers.filters.values import parse_time
from resolvers.json_strings import parse_json_object
from resolvers.roles import Role, minimum_role, require_role
from resolvers.set_membership import add_members, check_sets
from resolvers.timeline import Placement, place_on_timelines
from resolvers.transactions import write_transaction
from resolvers.write_target import TargetProject, writable_target
from schema.inputs.data import AppendManyAssetsData
from schema.inputs.where import ProjectWhere

APPEND = "append assets"
MAX_KEY_BYTES = 2000  # longest id or external id, in UTF-8 bytes (see check_key_length)
_ARRAYS = {
    "contentArray": "content_array",
    "externalIDArray": "external_id_array",
    "idArray": "id_array",
    "isHoneypotArray": "is_honeypot_array",
    "jsonContentArray": "json_content_array",
    "jsonMetadataArray": "json_metadata_array",
    "sessionIDArray": "session_id_array",
    "timestampArray": "timestamp_array",
    "sensorArray": "sensor_array",
    "setIDArray": "set_id_array",
}
# The PostgreSQL array type each column the INSERT may send travels as, in the order it is sent.
_ARRAY_TYPES = {
    "id": "text[]",
    "external_id": "text[]",
    "content": "text[]",
    "json_metadata": "jsonb[]",
    "json_content": "text[]",
    "is_honeypot": "boolean[]",
    "session_id": "text[]",
    "timestamp": "timestamptz[]",
    "sensor": "text[]",
    "storage_key": "text[]",
    "mime_type": "text[]",
    "size_bytes": "bigint[]",
    "width": "float8[]",
    "height": "float8[]",
}
# Columns the INSERT leaves out when every item holds this value (the table's default): fewer arrays to
# encode. `id`, `external_id`, `content` and `json_metadata` are always sent.
_OMITTABLE = {
    "json_content": None,
    "is_honeypot": False,
    "session_id": None,
    "timestamp": None,
    "sensor": None,
    "storage_key": None,
    "mime_type": None,
    "size_bytes": None,
    "width": None,
    "height": None,
}
# What a new asset holds in a column the append did not set: NULL, or the table's server default.
_UNSET = {column.key: None for column in Asset.__table__.columns} | {
    "status": "TODO",
    "priority": 0,
    "is_used_for_consensus": False,
    "skipped": False,
    "tags": [],
}


@lru_cache(maxsize=64)
def insert_sql(columns: tuple[str, ...]) -> str:
    """The INSERT of these columns (`$1` the project id, `$2` the creation time of item 0, then one
    array per column): item i gets created_at = updated_at = `$2` + i microseconds, which keeps the
    (created_at, id) order of lists equal to the input order. Rows whose id or external id is taken are
    skipped; RETURNING names the rows that went in."""
    names = ", ".join(f'"{name}"' for name in columns)
    arrays = ", ".join(f"${i + 3}::{_ARRAY_TYPES[name]}" for i, name in enumerate(columns))
    values = ", ".join(f'item."{name}"' for name in columns)
    created = "$2::timestamptz + (item.n - 1) * interval '1 microsecond'"
    return (
        f"INSERT INTO asset (project_id, created_at, updated_at, {names}) "
        f"SELECT $1::text, {created}, {created}, {values} "
        f"FROM unnest({arrays}) WITH ORDINALITY AS item({names}, n) "
        "ON CONFLICT DO NOTHING RETURNING asset.id"
    )


@dataclass
class AppendedAssets:
    """The assets one append wrote, as plain values: `columns[name][i]` is item i's value of column
    `name` (every column an append sets), in input order; `json_metadata` holds the (checked) JSON
    texts the client sent. `row(i)` is item i as a whole row."""

    project_id: str
    created_at: datetime  # item i was created (and updated) i microseconds later
    columns: dict[str, list[Any]]

    def __len__(self) -> int:
        return len(self.columns["id"])

    @property
    def ids(self) -> list[str]:
        return self.columns["id"]

    def row(self, index: int) -> dict[str, Any]:
        """Item `index`: every column of the asset table, by name."""
        created = self.created_at + timedelta(microseconds=index)
        row = {name: values[index] for name, values in self.columns.items()}
        row["json_metadata"] = json.loads(row["json_metadata"])
        return _UNSET | row | {"project_id": self.project_id, "created_at": created, "updated_at": created}


def quoted(values: list[str], limit: int = 10) -> str:
    shown = ", ".join(f"'{v}'" for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _length(data: AppendManyAssetsData) -> int:
    lengths = {name: len(getattr(data, attr)) for name, attr in _ARRAYS.items() if getattr(data, attr) is not None}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise BadUserInput(f"The arrays of `data` must have the same length: {described}.")
    return next(iter(lengths.values()), 0)


def check_key_length(value: str, what: str) -> None:
    """Ids and external ids live in btree indexes, whose rows hold at most about 2,700 bytes: a longer
    key would fail at INSERT time as an internal error. S3 keys (1,024 bytes) and paths fit."""
    if len(value) > MAX_KEY_BYTES // 4 and len(value.encode()) > MAX_KEY_BYTES:
        raise BadUserInput(f"{what} is {len(value.encode())} bytes long (UTF-8): at most {MAX_KEY_BYTES}.")


def _columns(data: AppendManyAssetsData, count: int) -> dict[str, list[Any]]:
    """The column values of the items (content columns aside), validated; refuses duplicates within
    the call."""
    ids = [str(i) for i in data.id_array] if data.id_array is not None else [new_id() for _ in range(count)]
    externals = list(data.external_id_array) if data.external_id_array is not None else ids
    metadata = data.json_metadata_array
    timestamps = data.timestamp_array
    metadata_texts = []
    instants = []
    for index in range(count):
        check_key_length(ids[index], f"Item {index}: idArray[{index}]")
        check_key_length(externals[index], f"Item {index}: externalIDArray[{index}]")
        if not ids[index]:
            raise BadUserInput(f"Item {index} (external id '{externals[index]}'): idArray must not hold empty ids.")
        if not externals[index]:
            raise BadUserInput(f"Item {index}: externalIDArray must not hold empty external ids.")
        text = "{}" if metadata is None else metadata[index]
        if text != "{}":  # checked, then sent as the client wrote it (jsonb parses it again anyway)
            parse_json_object(text, f"Item {index} (external id '{externals[index]}'): jsonMetadata")
        metadata_texts.append(text)
        if timestamps is not None:
            stamp = timestamps[index]
            instants.append(None if stamp is None else parse_time(stamp, f"timestampArray[{index}]")[0])
    for name, values in (("external ids", externals), ("ids", ids)):
        repeated = [value for value, n in Counter(values).items() if n > 1]
        if repeated:
            raise Conflict(
                f"Duplicate {name} in this call: {quoted(repeated)}.", details={"duplicates": repeated[:100]}
            )
    nones = [None] * count
    return {
        "id": ids,
        "external_id": externals,
        "json_metadata": metadata_texts,
        "json_content": [text or None for text in data.json_content_array] if data.json_content_array else nones,
        "is_honeypot": list(data.is_honeypot_array) if data.is_honeypot_array else [False] * count,
        "session_id": list(data.session_id_array) if data.session_id_array else nones,
        "timestamp": instants if timestamps is not None else nones,
        "sensor": list(data.sensor_array) if data.sensor_array else nones,
    }


async def _refuse_taken(ctx: RequestContext, project_id: str, ids: list[str], externals: list[str]) -> None:
    """CONFLICT naming these external ids already in the project and these ids already used (one
    statement)."""
    # Two index lookups, joined on unnest()ed arrays (see resolvers.arrays): an OR of IN lists scans the table.
    columns = (Asset.id, Asset.external_id, Asset.project_id)
    wanted_externals = values_table("wanted_external", external_id=externals)
    wanted_ids = values_table("wanted_id", id=ids)
    taken = (
        await ctx.execute(
            union_all(
                select(*columns)
                .select_from(wanted_externals)
                .join(
                    Asset,
                    (Asset.project_id == project_id) & (Asset.external_id == wanted_externals.c.external_id),
                ),
                select(*columns).select_from(wanted_ids).join(Asset, Asset.id == wanted_ids.c.id),
            )
        )
    ).all()
    taken_externals = {external for _, external, project in taken if project == project_id}
    clashing = [e for e in externals if e in taken_externals]
    if clashing:
        raise Conflict(
            f"External ids already in project '{project_id}': {quoted(clashing)}.",
            details={"existingExternalIds": clashing[:100]},
        )
    taken_ids = {asset_id for asset_id, _, _ in taken}
    used = [i for i in ids if i in taken_ids]
    if used:
        raise Conflict(f"Asset ids already in use: {quoted(used)}.", details={"existingIds": used[:100]})


_CONTENT_COLUMNS = ("content", "storage_key", "mime_type", "size_bytes", "width", "height")


async def _add_contents(
    ctx: RequestContext, data: AppendManyAssetsData, project: TargetProject, columns: dict[str, list[Any]]
) -> None:
    """Sets the content columns: external URLs as given, anything else resolved (`resolve_contents`:
    uploaded objects looked up, raw text checked against the project's input type)."""
    count = len(columns["id"])
    values = data.content_array or [""] * count
    content = list(values)
    columns["content"] = content
    others = [i for i, value in enumerate(values) if not is_external_url(value, ctx.settings)]
    if not others:
        return
    externals = columns["external_id"]
    requests = [
        ContentRequest(values[i], project.id, project.input_type, f"Item {i} (external id '{externals[i]}')")
        for i in others
    ]
    resolved = await resolve_contents(ctx.storage, ctx.settings, requests)
    for name in _CONTENT_COLUMNS[1:]:
        columns[name] = [None] * count
    for index, stored in zip(others, resolved, strict=True):
        for name in _CONTENT_COLUMNS:
            columns[name][index] = getattr(stored, name)


async def append_many_assets(ctx: RequestContext, data: AppendManyAssetsData, where: ProjectWhere) -> AppendedAssets:
    """Appends the assets of `data` to the project `where` names; returns them in input order."""
    async with write_transaction(ctx):
        assets = await append_in_transaction(ctx, data, where)
    return assets


async def append_in_transaction(ctx: RequestContext, data: AppendManyAssetsData, where: ProjectWhere) -> AppendedAssets:
    """The work of `append_many_assets`, inside a write transaction the caller holds (so that it may
    write more rows that commit or roll back with the assets)."""
    count = _length(data)
    project = await writable_target(ctx, where, minimum_role("appendManyAssets"), APPEND)
    if count == 0:
        return AppendedAssets(project.id, utcnow(), {"id": []})
    columns = _columns(data, count)
    if data.session_id_array is not None:
        placements = [
            Placement(i, project.id, session, instant)
            for i, (session, instant) in enumerate(zip(columns["session_id"], columns["timestamp"], strict=True))
        ]
        await place_on_timelines(
            ctx,
            placements,
            extend=data.extend_sessions,
            session_field="sessionIDArray[{i}]",
            timestamp_field="timestampArray[{i}]",
        )
    set_ids = [[str(s) for s in ids] if ids else None for ids in data.set_id_array or [None] * count]
    await check_sets(ctx, project.id, set_ids)
    await _add_contents(ctx, data, project, columns)
    created_at = utcnow()
    inserted = await _insert(ctx, project.id, created_at, columns)
    if len(inserted) < count:
        # ON CONFLICT DO NOTHING skipped rows whose id or external id is taken (possibly by a request
        # that committed meanwhile): name them. Raising rolls back the rows that did go in.
        skipped = [i for i, asset_id in enumerate(columns["id"]) if asset_id not in inserted]
        externals = columns["external_id"]
        await _refuse_taken(ctx, project.id, [columns["id"][i] for i in skipped], [externals[i] for i in skipped])
        raise Conflict("Some ids or external ids of this call were taken meanwhile; nothing was written.")
    await add_members(ctx, columns["id"], set_ids)
    return AppendedAssets(project.id, created_at, columns)


async def _insert(
    ctx: RequestContext, project_id: str, created_at: datetime, columns: dict[str, list[Any]]
) -> set[str]:
    """Runs the INSERT (SQL text, one array per column; see `insert_sql`); the ids that went in."""
    sent = tuple(
        name
        for name in _ARRAY_TYPES
        if name in columns and not (name in _OMITTABLE and all(v == _OMITTABLE[name] for v in columns[name]))
    )
    arrays = [columns[name] for name in sent]
    async with ctx.db_lock:
        connection = await ctx.db.connection()
        result = await connection.exec_driver_sql(insert_sql(sent), (project_id, created_at, *arrays))
        return {row[0] for row in result.all()}


async def filter_existing_assets(ctx: RequestContext, project_id: str, external_ids: list[str]) -> list[str]:
    """The given external ids already used in the project, in the given order, each once."""
    await require_role(ctx, [project_id], Role.LABELER, "read assets")
    wanted = list(dict.fromkeys(external_ids))
    if not wanted:
        return []
    values = values_table("wanted", external_id=wanted)
    found = set(
        await ctx.scalars(
            select(Asset.external_id)
            .select_from(values)
            .join(Asset, (Asset.project_id == project_id) & (Asset.external_id == values.c.external_id))
        )
    )
    return [e for e in wanted if e in found]
