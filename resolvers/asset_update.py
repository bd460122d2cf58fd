"""Changing asset properties (Kili's `updatePropertiesInAssets`): pairs of (AssetWhere, AssetData),
applied in order, in one transaction, all or nothing. Status is never written here.

Statements stay batched whatever the number of pairs: one statement matches every pair's where and
locks the assets in id order (`{id}` wheres, what the Kili SDK sends, as one table of ids, the others
as branches of a UNION ALL); then one role check, one archive check, one UPDATE executed for all
assets (one executemany per distinct set of changed columns), and one statement re-reading the
updated rows. External ids and assignees add one statement each when given (plus one DELETE and one
INSERT for assignees, each binding arrays).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Row, Select, delete, literal, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from gateway.context import RequestContext
from gateway.db.models import Asset, AssetAssignee, Project, utcnow
from gateway.errors import BadUserInput, Conflict, NotFound
from resolvers.archive import require_writable
from resolvers.arrays import any_id, values_table
from resolvers.asset_append import check_key_length, quoted
from resolvers.assignees import Assignable, assignable_users, resolve_assignees
from resolvers.content import ContentRequest, StoredContent, resolve_contents
from resolvers.filters.asset_where import asset_conditions, compile_asset_where
from resolvers.filters.values import parse_time
from resolvers.json_strings import parse_json_object
from resolvers.roles import minimum_role, require_role
from resolvers.timeline import Placement, place_on_timelines
from resolvers.transactions import write_transaction
from schema.inputs.data import AssetData
from schema.inputs.where import AssetWhere

UPDATE = "update assets"
MAX_PAIRS = 1000
# AssetData field → column, for the fields copied as given.
_PLAIN = {
    "priority": "priority",
    "consensus_mark": "consensus_mark",
    "honeypot_mark": "honeypot_mark",
    "is_used_for_consensus": "is_used_for_consensus",
    "is_honeypot": "is_honeypot",
}


@dataclass(frozen=True)
class Target:
    """An asset a where matched."""

    id: str
    project_id: str
    external_id: str
    input_type: str
    created_at: datetime
    session_id: str | None


@dataclass
class Assignment:
    """Assignee changes of one asset, merged over its pairs: `reset` replaces, otherwise adds."""

    reset: bool = False
    user_ids: set[str] = field(default_factory=set)


def _is_by_id(where: AssetWhere) -> bool:
    return where.id is not None and sum(c is not None for c in asset_conditions(where)) == 1


async def _match(ctx: RequestContext, wheres: list[AssetWhere]) -> list[list[Target]]:
    """The assets each where matches (oldest first), locked FOR UPDATE in id order, the order every
    writer of asset rows locks them in (resolvers/workflow.py), so concurrent calls serialize instead
    of deadlocking. One statement: `{id}` wheres (what the Kili SDK sends) are one table of ids, any
    others one UNION ALL branch each."""
    columns = (Asset.id, Asset.project_id, Asset.external_id, Project.input_type, Asset.created_at, Asset.session_id)
    by_id = [i for i, where in enumerate(wheres) if _is_by_id(where)]
    branches: list[Select] = []
    if by_id:
        wanted = values_table("wanted", {"pair": Integer()}, pair=by_id, id=[str(wheres[i].id) for i in by_id])
        branches.append(
            select(wanted.c.pair, Asset.id)
            .select_from(wanted)
            .join(Asset, Asset.id == wanted.c.id)
            .where(compile_asset_where(None, ctx.viewer))
        )
    for i in sorted(set(range(len(wheres))) - set(by_id)):
        branches.append(select(literal(i).label("pair"), Asset.id).where(compile_asset_where(wheres[i], ctx.viewer)))
    matches = (branches[0] if len(branches) == 1 else union_all(*branches)).subquery("matches")
    rows = await ctx.execute(
        select(matches.c.pair, *columns)
        .select_from(matches)
        .join(Asset, Asset.id == matches.c.id)
        .join(Project, Project.id == Asset.project_id)
        .order_by(Asset.id)
        .with_for_update(of=Asset.__table__)
    )
    matched: list[list[Target]] = [[] for _ in wheres]
    for pair, *row in rows.all():
        matched[pair].append(Target(*row))
    for i, targets in enumerate(matched):
        if not targets:
            named = f" (id '{wheres[i].id}')" if wheres[i].id is not None else ""
            raise NotFound(f"Pair {i}{named}: `where` matches no asset you may see.")
        targets.sort(key=lambda t: (t.created_at, t.id))
    return matched


def _validate(index: int, data: AssetData, targets: list[Target]) -> None:
    if data.external_id is not None:
        if not data.external_id:
            raise BadUserInput(f"Pair {index}: externalId must not be empty.")
        check_key_length(data.external_id, f"Pair {index}: externalId")
        if len(targets) > 1:
            raise BadUserInput(
                f"Pair {index}: externalId '{data.external_id}' is unique in a project, but `where` matches "
                f"{len(targets)} assets."
            )
    if data.resolution is not None and (data.resolution.width < 0 or data.resolution.height < 0):
        raise BadUserInput(f"Pair {index}: resolution must not be negative.")


def _plain_changes(index: int, data: AssetData) -> dict[str, Any]:
    """The columns a pair sets directly (not content, not assignees)."""
    changes = {column: getattr(data, name) for name, column in _PLAIN.items() if getattr(data, name) is not None}
    if data.external_id is not None:
        changes["external_id"] = data.external_id
    if data.json_metadata is not None:
        changes["json_metadata"] = parse_json_object(data.json_metadata, f"Pair {index}: jsonMetadata")
    if data.json_content is not None:
        changes["json_content"] = data.json_content or None
    if data.session_id is not None:
        changes["session_id"] = str(data.session_id)
    if data.timestamp is not None:
        changes["timestamp"] = parse_time(data.timestamp, f"Pair {index}: timestamp")[0]
    if data.sensor is not None:
        changes["sensor"] = data.sensor
    return changes


async def _place(ctx: RequestContext, plain: list[dict[str, Any]], matched: list[list[Target]]) -> None:
    """Checks the sessions pairs name and widens the spans their timestamps fall outside (a timestamp
    alone widens the asset's current session). Two statements, only when a pair names either."""
    placements = [
        Placement(index, t.project_id, changes.get("session_id", t.session_id), changes.get("timestamp"))
        for index, (changes, targets) in enumerate(zip(plain, matched, strict=True))
        if "session_id" in changes or "timestamp" in changes
        for t in targets
    ]
    await place_on_timelines(
        ctx, placements, extend=True, session_field="Pair {i}: sessionId", timestamp_field="Pair {i}: timestamp"
    )


def _content_columns(content: StoredContent) -> dict[str, Any]:
    return {
        "content": content.content,
        "storage_key": content.storage_key,
        "mime_type": content.mime_type,
        "size_bytes": content.size_bytes,
        "width": content.width,
        "height": content.height,
    }


async def _contents(
    ctx: RequestContext, datas: list[AssetData], matched: list[list[Target]]
) -> dict[tuple[int, str], StoredContent]:
    """Each pair's new content, resolved once per (pair, project) (uploaded objects checked concurrently)."""
    requests: dict[tuple[int, str], ContentRequest] = {}
    for index, (data, targets) in enumerate(zip(datas, matched, strict=True)):
        if data.content is None:
            continue
        for target in targets:
            item = f"Pair {index} (asset '{target.id}')"
            requests.setdefault(
                (index, target.project_id),
                ContentRequest(data.content, target.project_id, target.input_type, item),
            )
    if not requests:
        return {}
    resolved = await resolve_contents(ctx.storage, ctx.settings, list(requests.values()))
    return dict(zip(requests, resolved, strict=True))


async def _assignable_users(ctx: RequestContext, datas: list[AssetData], matched: list[list[Target]]) -> Assignable:
    """The users `toBeLabeledBy` names who may be assigned in the projects of the pairs that name them."""
    references = {r for data in datas for r in (data.to_be_labeled_by or [])}
    project_ids = {
        t.project_id for index, targets in enumerate(matched) if datas[index].to_be_labeled_by for t in targets
    }
    return await assignable_users(ctx, references, project_ids)


def _assign(
    assignments: dict[str, Assignment], index: int, data: AssetData, targets: list[Target], allowed: Assignable
) -> None:
    if data.to_be_labeled_by is None and not data.should_reset_to_be_labeled_by:
        return
    references = list(data.to_be_labeled_by or [])
    for target in targets:
        user_ids = resolve_assignees(allowed, target.project_id, references, f"Pair {index}: toBeLabeledBy")
        assignment = assignments.setdefault(target.id, Assignment())
        if data.should_reset_to_be_labeled_by:
            assignment.reset, assignment.user_ids = True, user_ids
        else:
            assignment.user_ids |= user_ids


async def _refuse_taken_external_ids(ctx: RequestContext, changes: dict[str, dict], targets: dict[str, Target]) -> None:
    """CONFLICT when two assets of a project would share an external id (in the call or with others)."""
    renamed = {asset_id: c["external_id"] for asset_id, c in changes.items() if "external_id" in c}
    if not renamed:
        return
    wanted: dict[tuple[str, str], list[str]] = defaultdict(list)
    for asset_id, external_id in renamed.items():
        wanted[(targets[asset_id].project_id, external_id)].append(asset_id)
    repeated = [external_id for (_, external_id), ids in wanted.items() if len(ids) > 1]
    if repeated:
        raise Conflict(f"Several assets of a project would get the same external id: {quoted(repeated)}.")
    keys = values_table("wanted", project_id=[p for p, _ in wanted], external_id=[e for _, e in wanted])
    holders = (
        await ctx.execute(
            select(Asset.id, Asset.project_id, Asset.external_id)
            .select_from(keys)
            .join(Asset, (Asset.project_id == keys.c.project_id) & (Asset.external_id == keys.c.external_id))
        )
    ).all()
    # A holder that is itself being renamed frees its external id.
    clashing = [external_id for holder, _, external_id in holders if holder not in renamed]
    if clashing:
        raise Conflict(
            f"External ids already used by other assets of the project: {quoted(clashing)}.",
            details={"existingExternalIds": clashing[:100]},
        )


async def _write(
    ctx: RequestContext, changes: dict[str, dict[str, Any]], assignments: dict[str, Assignment], now: datetime
) -> None:
    async with ctx.db_lock:
        # ORM bulk UPDATE by primary key: one executemany per distinct set of changed columns.
        await ctx.db.execute(
            update(Asset), [{"id": asset_id, **c, "updated_at": now} for asset_id, c in changes.items()]
        )
        resets = [asset_id for asset_id, a in assignments.items() if a.reset]
        if resets:
            await ctx.db.execute(delete(AssetAssignee).where(any_id(AssetAssignee.asset_id, resets)))
        pairs = [(asset_id, u) for asset_id, a in assignments.items() for u in sorted(a.user_ids)]
        if pairs:
            # Two arrays, not two parameters per row (17,000 rows would pass PostgreSQL's 32,767).
            added = values_table("added", asset_id=[p[0] for p in pairs], user_id=[p[1] for p in pairs])
            await ctx.db.execute(
                pg_insert(AssetAssignee)
                .from_select(["asset_id", "user_id"], select(added.c.asset_id, added.c.user_id))
                .on_conflict_do_nothing()
            )


async def update_properties_in_assets(
    ctx: RequestContext, wheres: list[AssetWhere], datas: list[AssetData]
) -> list[Row]:
    """Applies each pair in order; returns the updated assets (plain rows of the asset table), each
    once, in input order."""
    if len(wheres) != len(datas):
        raise BadUserInput(f"`where` and `data` must have the same length: {len(wheres)} and {len(datas)}.")
    if len(wheres) > MAX_PAIRS:
        raise BadUserInput(f"At most {MAX_PAIRS} pairs per call, got {len(wheres)}.")
    if not wheres:
        return []
    async with write_transaction(ctx):
        matched = await _match(ctx, wheres)
        targets = {t.id: t for ts in matched for t in ts}
        project_ids = sorted({t.project_id for t in targets.values()})
        await require_role(ctx, project_ids, minimum_role("updatePropertiesInAssets"), UPDATE)
        await require_writable(ctx, project_ids)
        for index, (data, ts) in enumerate(zip(datas, matched, strict=True)):
            _validate(index, data, ts)
        plain = [_plain_changes(index, data) for index, data in enumerate(datas)]
        await _place(ctx, plain, matched)
        contents = await _contents(ctx, datas, matched)
        allowed = await _assignable_users(ctx, datas, matched)
        changes: dict[str, dict[str, Any]] = {}
        assignments: dict[str, Assignment] = {}
        for index, (data, ts) in enumerate(zip(datas, matched, strict=True)):
            for target in ts:
                asset_changes = changes.setdefault(target.id, {})
                if (index, target.project_id) in contents:
                    asset_changes.update(_content_columns(contents[(index, target.project_id)]))
                if data.resolution is not None:
                    asset_changes.update(width=data.resolution.width, height=data.resolution.height)
                asset_changes.update(plain[index])
            _assign(assignments, index, data, ts, allowed)
        await _refuse_taken_external_ids(ctx, changes, targets)
        try:
            await _write(ctx, changes, assignments, utcnow())
        except IntegrityError as exc:
            raise Conflict(
                "The update clashed with another change (an external id taken, or an asset deleted meanwhile); "
                "nothing was written."
            ) from exc
        updated = values_table("updated", id=list(targets))
        # Plain rows (Core), not ORM objects: the answer only reads their columns.
        table = Asset.__table__
        rows = {
            row.id: row
            for row in (
                await ctx.execute(select(table).select_from(updated).join(table, table.c.id == updated.c.id))
            ).all()
        }
        missing = [asset_id for asset_id in targets if asset_id not in rows]
        if missing:
            raise NotFound(f"Assets deleted by another request meanwhile: {quoted(missing)}; nothing was written.")
    return [rows[asset_id] for asset_id in targets]
