"""Appending assets to a project (Kili's `appendManyAssets`) and finding external ids already taken
(`filterExistingAssets`).

A batch is all or nothing, in one transaction: every item is validated (arrays, JSON, ids, external
ids unique within the call, content) before anything is written, and the rows go in as one
multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING id. Ids and external ids already taken are
found by that INSERT itself (rows it skipped), so the usual call costs, after authentication, four
statements: the project lookup, the role check, the archive check and the INSERT. When rows were
skipped, one more statement names the clashes and the transaction is rolled back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Insert, column, select, table, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import configure_mappers, instrumentation

from gateway.context import RequestContext
from gateway.db.ids import new_id
from gateway.db.models import Asset, Project, utcnow
from gateway.errors import BadUserInput, Conflict, NotFound
from resolvers.archive import require_writable
from resolvers.arrays import values_table
from resolvers.content import ContentRequest, resolve_contents
from resolvers.filters.project_where import compile_project_where
from resolvers.filters.values import parse_time
from resolvers.json_strings import parse_json_object
from resolvers.roles import Role, minimum_role, require_role
from resolvers.set_membership import add_members, check_sets
from resolvers.timeline import Placement, place_on_timelines
from resolvers.transactions import write_transaction
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
# Column values every new asset gets from the table's server defaults (never sent with the INSERT).
_SERVER_DEFAULTS = {"status": "TODO", "priority": 0, "is_used_for_consensus": False, "skipped": False}
# Columns the INSERT leaves out when every row of the batch holds this value (NULL or the default).
_OMITTABLE = {
    "storage_key": None,
    "mime_type": None,
    "size_bytes": None,
    "width": None,
    "height": None,
    "json_content": None,
    "is_honeypot": False,
    "session_id": None,
    "timestamp": None,
    "sensor": None,
}
_ASSET_MANAGER = instrumentation.manager_of_class(Asset)
# Every column: set on returned objects so that reading any of them is a plain dict lookup.
_NO_VALUES = {column.key: None for column in Asset.__table__.columns} | _SERVER_DEFAULTS


@lru_cache(maxsize=64)
def _insert(columns: tuple[str, ...]) -> Insert:
    """INSERT of these columns only, into a bare `table()` (no ORM bookkeeping, no Python-side
    defaults adding parameters), skipping rows whose id or external id is taken. RETURNING makes
    SQLAlchemy send a batch as multi-row INSERT ... VALUES statements ("insertmanyvalues", paged
    under PostgreSQL's parameter limit) rendered from one cached compiled form, instead of one
    execution per row; it also tells which rows went in."""
    types = Asset.__table__.columns
    target = table("asset", *[column(name, types[name].type) for name in columns])
    return pg_insert(target).on_conflict_do_nothing().returning(target.c.id)


def _insert_rows(rows: list[dict[str, Any]]) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """The columns to send and the rows holding only them (fewer parameters to encode and bind)."""
    unused = {name for name, value in _OMITTABLE.items() if all(row[name] == value for row in rows)}
    columns = tuple(name for name in rows[0] if name not in unused)
    return columns, [{name: row[name] for name in columns} for row in rows] if unused else rows


@dataclass(frozen=True)
class TargetProject:
    id: str
    input_type: str


def quoted(values: list[str], limit: int = 10) -> str:
    shown = ", ".join(f"'{v}'" for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


async def target_project(ctx: RequestContext, where: ProjectWhere) -> TargetProject:
    """The one project `where` names among those the viewer may see."""
    rows = (
        await ctx.execute(
            select(Project.id, Project.input_type).where(compile_project_where(where, ctx.viewer)).limit(2)
        )
    ).all()
    if not rows:
        named = f" '{where.id}'" if where.id is not None else ""
        raise NotFound(f"No project{named} matches `where` among the projects you may see.")
    if len(rows) > 1:
        raise BadUserInput("`where` must name exactly one project (e.g. {id: ...}); it matches several.")
    return TargetProject(id=rows[0][0], input_type=rows[0][1])


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


def _rows(data: AppendManyAssetsData, project: TargetProject, count: int) -> list[dict[str, Any]]:
    """One row (without content columns) per item, validated; refuses duplicates within the call."""
    ids = [str(i) for i in data.id_array] if data.id_array is not None else [new_id() for _ in range(count)]
    externals = list(data.external_id_array) if data.external_id_array is not None else ids
    metadata = data.json_metadata_array or ["{}"] * count
    contents = data.json_content_array or [""] * count
    honeypots = data.is_honeypot_array or [False] * count
    sessions = data.session_id_array or [None] * count
    timestamps = data.timestamp_array or [None] * count
    sensors = data.sensor_array or [None] * count
    rows = []
    for index in range(count):
        check_key_length(ids[index], f"Item {index}: idArray[{index}]")
        check_key_length(externals[index], f"Item {index}: externalIDArray[{index}]")
        item = f"Item {index} (external id '{externals[index]}')"
        if not ids[index]:
            raise BadUserInput(f"{item}: idArray must not hold empty ids.")
        if not externals[index]:
            raise BadUserInput(f"Item {index}: externalIDArray must not hold empty external ids.")
        rows.append(
            {
                "id": ids[index],
                "project_id": project.id,
                "external_id": externals[index],
                "json_metadata": parse_json_object(metadata[index], f"{item}: jsonMetadata"),
                "json_content": contents[index] or None,
                "is_honeypot": honeypots[index],
                "session_id": sessions[index],
                "timestamp": None
                if timestamps[index] is None
                else parse_time(timestamps[index], f"timestampArray[{index}]")[0],
                "sensor": sensors[index],
            }
        )
    for name, values in (("external ids", externals), ("ids", ids)):
        repeated = [value for value, n in Counter(values).items() if n > 1]
        if repeated:
            raise Conflict(
                f"Duplicate {name} in this call: {quoted(repeated)}.", details={"duplicates": repeated[:100]}
            )
    return rows


async def _refuse_taken(ctx: RequestContext, project_id: str, rows: list[dict[str, Any]]) -> None:
    """CONFLICT naming the external ids of these rows already in the project and their ids already
    used (one statement)."""
    ids = [row["id"] for row in rows]
    externals = [row["external_id"] for row in rows]
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


async def _add_contents(ctx: RequestContext, data: AppendManyAssetsData, project: TargetProject, rows: list) -> None:
    values = data.content_array or [""] * len(rows)
    requests = [
        ContentRequest(value, project.id, project.input_type, f"Item {i} (external id '{rows[i]['external_id']}')")
        for i, value in enumerate(values)
    ]
    for row, content in zip(rows, await resolve_contents(ctx.storage, ctx.settings, requests), strict=True):
        row.update(
            content=content.content,
            storage_key=content.storage_key,
            mime_type=content.mime_type,
            size_bytes=content.size_bytes,
            width=content.width,
            height=content.height,
        )


async def append_many_assets(ctx: RequestContext, data: AppendManyAssetsData, where: ProjectWhere) -> list[Asset]:
    """Appends the assets of `data` to the project `where` names; returns them in input order."""
    async with write_transaction(ctx):
        assets = await append_in_transaction(ctx, data, where)
    return assets


async def append_in_transaction(ctx: RequestContext, data: AppendManyAssetsData, where: ProjectWhere) -> list[Asset]:
    """The work of `append_many_assets`, inside a write transaction the caller holds (so that it may
    write more rows that commit or roll back with the assets)."""
    count = _length(data)
    project = await target_project(ctx, where)
    await require_role(ctx, [project.id], minimum_role("appendManyAssets"), APPEND)
    await require_writable(ctx, [project.id])
    if count == 0:
        return []
    rows = _rows(data, project, count)
    placements = [Placement(i, project.id, row["session_id"], row["timestamp"]) for i, row in enumerate(rows)]
    await place_on_timelines(
        ctx,
        placements,
        extend=data.extend_sessions,
        session_field="sessionIDArray[{i}]",
        timestamp_field="timestampArray[{i}]",
    )
    set_ids = [[str(s) for s in ids] if ids else None for ids in data.set_id_array or [None] * count]
    await check_sets(ctx, project.id, set_ids)
    await _add_contents(ctx, data, project, rows)
    now = utcnow()
    for i, row in enumerate(rows):
        # Increasing times keep the (created_at, id) order of lists equal to the input order.
        row["created_at"] = row["updated_at"] = now + timedelta(microseconds=i)
    columns, values = _insert_rows(rows)
    async with ctx.db_lock:
        inserted = set((await ctx.db.execute(_insert(columns), values)).scalars().all())
    if len(inserted) < count:
        # ON CONFLICT DO NOTHING skipped rows whose id or external id is taken (possibly by a request
        # that committed meanwhile): name them. Raising rolls back the rows that did go in.
        await _refuse_taken(ctx, project.id, [row for row in rows if row["id"] not in inserted])
        raise Conflict("Some ids or external ids of this call were taken meanwhile; nothing was written.")
    await add_members(ctx, [row["id"] for row in rows], set_ids)
    return _assets(rows)


def _assets(rows: list[dict[str, Any]]) -> list[Asset]:
    """Transient Assets holding these column values, built as the ORM builds loaded rows: without
    SQLModel's per-field validation, which costs ~40x more and checks nothing `_rows` has not."""
    configure_mappers()  # a no-op once done; instances need configured mappers
    assets = []
    for row in rows:
        asset = _ASSET_MANAGER.new_instance()
        asset.__dict__.update(_NO_VALUES)
        asset.__dict__.update(row)
        assets.append(asset)
    return assets


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
