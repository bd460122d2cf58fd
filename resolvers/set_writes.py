"""Writing sets (SceneBox semantics, capability map §3 R1): create, update, add and remove members by
`AssetWhere`, lock, split, delete.

Every call that touches a set first locks its row (`SELECT ... FOR UPDATE`), then checks the role
(TEAM_MANAGER and up, MUTATION_ROLES) and that the project is not archived (LOCKED). The set row lock
serializes concurrent writers of one set's membership, so two adds or removes on the same set never
deadlock and each sees the other's committed members.

Membership writes are set-based: one `INSERT ... SELECT` (or `DELETE ... WHERE`) over the compiled
`where`, so the statement count does not depend on the number of assets. `limit` samples
deterministically: the matched assets ordered by `md5(seed || ':' || id)`, the first `limit` kept.
Splits order the members the same way and cut that order at the sizes of SceneBox's rule
(`split_sizes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import strawberry
from sqlalchemy import Integer, String, column, delete, func, insert, literal, select, update, values
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from gateway.context import RequestContext
from gateway.db.models import Asset, AssetSet, SetAsset, new_id, utcnow
from gateway.errors import BadUserInput, Conflict, Locked
from resolvers.archive import require_writable
from resolvers.arrays import any_id
from resolvers.filters.asset_where import asset_conditions, compile_asset_where, has_conditions
from resolvers.json_strings import parse_json_object
from resolvers.roles import minimum_role, require_role
from resolvers.row_locks import lock_for_write
from resolvers.transactions import write_transaction
from resolvers.workflow import (
    MAX_ASSETS_PER_CALL,
    AssetKey,
    LockedAsset,
    Outcome,
    delete_matched_assets,
    unmatched_named_assets,
)
from schema.inputs.set_data import CreateSetData, UpdateSetData
from schema.inputs.where import AssetWhere

# SceneBox splits into at most this many subsets per call (more would be a runaway request).
MAX_SPLITS = 100


async def _lock_set(ctx: RequestContext, set_id: str, mutation: str, action: str, *, membership: bool) -> AssetSet:
    """The set, locked for the rest of the transaction, after the role and archive checks; with
    `membership`, a locked set is LOCKED (its members may not change)."""
    asset_set = await lock_for_write(ctx, AssetSet, set_id, minimum_role(mutation), action)
    if membership and asset_set.is_locked:
        raise Locked(f"Set '{set_id}' is locked: unlock it (unlockSet) before changing its members.")
    return asset_set


def _check_name(name: str) -> str:
    if not name.strip():
        raise BadUserInput("name must not be empty.")
    return name


def _conflict(project_id: str, names: list[str]) -> Conflict:
    quoted = ", ".join(f"'{n}'" for n in names)
    return Conflict(f"Project '{project_id}' already has a set named {quoted}: set names are unique in a project.")


async def create_set(ctx: RequestContext, data: CreateSetData) -> AssetSet:
    """A new set in `data.projectId` (TEAM_MANAGER there); a name already used there is a CONFLICT."""
    aux = parse_json_object(data.json_aux_metadata, "jsonAuxMetadata", null_ok=True) or {}
    now = utcnow()
    row: dict[str, Any] = {
        "id": str(data.id) if data.id else new_id(),
        "project_id": str(data.project_id),
        "name": _check_name(data.name),
        "description": data.description,
        "tags": list(data.tags or []),
        "aux_metadata": aux,
        "origin_set_id": str(data.origin_set_id) if data.origin_set_id else None,
        "created_at": now,
        "updated_at": now,
    }
    async with write_transaction(ctx):
        await require_role(ctx, [row["project_id"]], minimum_role("createSet"), "create sets")
        await require_writable(ctx, [row["project_id"]])
        if row["origin_set_id"]:
            origin = await ctx.scalars(select(AssetSet.project_id).where(AssetSet.id == row["origin_set_id"]))
            if origin != [row["project_id"]]:
                raise BadUserInput(f"originSetId: no set '{row['origin_set_id']}' in project '{row['project_id']}'.")
        try:
            created = await ctx.scalars(insert(AssetSet).values(**row).returning(AssetSet))
        except IntegrityError as exc:
            if "uq_set_project_name" in str(exc.orig):
                raise _conflict(row["project_id"], [row["name"]]) from exc
            raise Conflict(f"A set with id '{row['id']}' already exists.") from exc
    return created[0]


async def update_set(ctx: RequestContext, set_id: str, data: UpdateSetData) -> AssetSet:
    """Name, description, tags (replaced) and aux metadata; fields left out stay. Allowed on a locked
    set: the lock is about its members."""
    changes: dict[str, Any] = {}
    if data.name is not None:
        changes["name"] = _check_name(data.name)
    if data.description is not None:
        changes["description"] = data.description
    if data.tags is not None:
        changes["tags"] = list(data.tags)
    if data.json_aux_metadata is not None:
        changes["aux_metadata"] = parse_json_object(data.json_aux_metadata, "jsonAuxMetadata")
    async with write_transaction(ctx):
        asset_set = await _lock_set(ctx, set_id, "updateSet", "update sets", membership=False)
        try:
            rows = await ctx.scalars(
                update(AssetSet)
                .where(AssetSet.id == set_id)
                .values(**changes, updated_at=utcnow())
                .returning(AssetSet)
                .execution_options(synchronize_session=False, populate_existing=True)
            )
        except IntegrityError as exc:
            raise _conflict(asset_set.project_id, [changes.get("name", "")]) from exc
    return rows[0]


async def set_locked(ctx: RequestContext, set_id: str, locked: bool) -> AssetSet:
    """Locks or unlocks the set's membership; idempotent."""
    mutation = "lockSet" if locked else "unlockSet"
    async with write_transaction(ctx):
        await _lock_set(ctx, set_id, mutation, "lock or unlock sets", membership=False)
        rows = await ctx.scalars(
            update(AssetSet)
            .where(AssetSet.id == set_id)
            .values(is_locked=locked, updated_at=utcnow())
            .returning(AssetSet)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
    return rows[0]


def sample_key(seed: int) -> Any:
    """The deterministic pseudo-random order of a seed: md5 of the seed and the asset id."""
    return func.md5(literal(f"{seed}:") + Asset.id)


def _require_conditions(where: AssetWhere) -> None:
    if not has_conditions(asset_conditions(where)):
        raise BadUserInput("where selects every asset you may see: give at least one condition (e.g. idIn or project).")


async def add_assets_to_set(
    ctx: RequestContext, set_id: str, where: AssetWhere, limit: int | None, seed: int
) -> Outcome:
    """Adds the matched assets of the set's project (at most `limit`, sampled by `seed`): one
    statement inserts them and answers them with the matched assets of other projects (declined).
    A member already there stays, with its `addedAt`, and is listed as succeeded."""
    _require_conditions(where)
    if limit is not None and limit < 0:
        raise BadUserInput("limit must be 0 or more.")
    async with write_transaction(ctx):
        asset_set = await _lock_set(ctx, set_id, "addAssetsToSet", "add assets to sets", membership=True)
        condition = compile_asset_where(where, ctx.viewer)
        cap = MAX_ASSETS_PER_CALL + 1 if limit is None else min(limit, MAX_ASSETS_PER_CALL + 1)
        sample = (
            select(Asset.id, Asset.external_id)
            .where(condition, Asset.project_id == asset_set.project_id)
            .order_by(sample_key(seed) if limit is not None else Asset.id)
            .limit(cap)
            .cte("sample")
        )
        added = (
            pg_insert(SetAsset)
            .from_select(
                ["set_id", "asset_id", "added_at"], select(literal(set_id), sample.c.id, func.now()).select_from(sample)
            )
            .on_conflict_do_nothing(index_elements=["set_id", "asset_id"])
            .cte("added")
        )
        others = (
            select(Asset.id, Asset.external_id, literal(False))
            .where(condition, Asset.project_id != asset_set.project_id)
            .limit(MAX_ASSETS_PER_CALL + 1)
        )
        try:
            rows = (
                await ctx.execute(
                    select(sample.c.id, sample.c.external_id, literal(True))
                    .add_cte(added)
                    .union_all(others)
                    .order_by(column("id"))
                )
            ).all()
        except IntegrityError as exc:  # the asset rows are not locked: one was deleted since it matched
            raise Conflict("An asset this call matched was deleted meanwhile; nothing was added: call again.") from exc
        if len(rows) > MAX_ASSETS_PER_CALL:
            raise BadUserInput(
                f"where matches more than {MAX_ASSETS_PER_CALL} assets: narrow it or give a limit, and call again."
            )
        matched = [LockedAsset(i, e, "", "", None) for i, e, _ in rows]
        unmatched = await unmatched_named_assets(ctx, where, matched)
        await _touch(ctx, set_id)
    return Outcome(
        succeeded=[AssetKey(i, e) for i, e, mine in rows if mine],
        declined=[AssetKey(i, e) for i, e, mine in rows if not mine] + [u.key for u in unmatched],
    )


async def remove_assets_from_set(ctx: RequestContext, set_id: str, where: AssetWhere) -> Outcome:
    """Removes the matched members in one statement; what `where` names and was not a member is declined."""
    _require_conditions(where)
    async with write_transaction(ctx):
        await _lock_set(ctx, set_id, "removeAssetsFromSet", "remove assets from sets", membership=True)
        # One DELETE ... USING asset: a join the planner serves from set_asset's primary key, whatever
        # the size of the asset table (an `IN (subquery ... LIMIT)` form was at the mercy of generic plans).
        # More than MAX_ASSETS_PER_CALL removed refuses the call, which rolls it back.
        rows = sorted(
            (
                await ctx.execute(
                    delete(SetAsset)
                    .where(SetAsset.set_id == set_id, SetAsset.asset_id == Asset.id)
                    .where(compile_asset_where(where, ctx.viewer))
                    .returning(Asset.id, Asset.external_id)
                )
            ).all()
        )
        if len(rows) > MAX_ASSETS_PER_CALL:
            raise BadUserInput(f"where matches more than {MAX_ASSETS_PER_CALL} members: narrow it and call again.")
        matched = [LockedAsset(i, e, "", "", None) for i, e in rows]
        unmatched = await unmatched_named_assets(ctx, where, matched)
        await _touch(ctx, set_id)
    return Outcome(succeeded=[AssetKey(i, e) for i, e in rows], declined=[u.key for u in unmatched])


async def _touch(ctx: RequestContext, set_id: str) -> None:
    await ctx.execute(
        update(AssetSet)
        .where(AssetSet.id == set_id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def split_sizes(n: int, sections: int | None, fractions: list[float] | None) -> list[int]:
    """SceneBox's rule. `sections` k: the first n % k subsets get n // k + 1, the others n // k.
    `fractions` f: subset i gets floor(fᵢ·n); the leftovers (up to n when the fractions add up to 1,
    up to floor(Σf·n) otherwise) go out with the `sections` rule over all the subsets."""
    if sections is not None:
        return [n // sections + (1 if i < n % sections else 0) for i in range(sections)]
    assert fractions is not None
    eps = 1e-9  # 0.29 * 100 is 28.999999999999996 in floating point
    sizes = [math.floor(f * n + eps) for f in fractions]
    total = n if abs(sum(fractions) - 1) < eps else math.floor(sum(fractions) * n + eps)
    leftover = split_sizes(max(0, total - sum(sizes)), len(sizes), None)
    return [s + extra for s, extra in zip(sizes, leftover, strict=True)]


def _check_split(sections: int | None, fractions: list[float] | None, names: list[str] | None) -> int:
    """The number of subsets, after checking the arguments."""
    if (sections is None) == (fractions is None):
        raise BadUserInput("Give exactly one of sections or fractions.")
    if sections is not None:
        if not 2 <= sections <= MAX_SPLITS:
            raise BadUserInput(f"sections must be between 2 and {MAX_SPLITS}, got {sections}.")
        count = sections
    else:
        assert fractions is not None
        if not 1 <= len(fractions) <= MAX_SPLITS:
            raise BadUserInput(f"fractions must hold between 1 and {MAX_SPLITS} values.")
        for i, f in enumerate(fractions):
            if not (0 < f <= 1) or math.isnan(f):
                raise BadUserInput(f"fractions[{i}] must be in (0, 1], got {f}.")
        if sum(fractions) > 1 + 1e-9:
            raise BadUserInput(f"fractions must add up to 1 or less, got {sum(fractions)}.")
        count = len(fractions)
    if names is not None:
        if len(names) != count:
            raise BadUserInput(f"names must hold one name per subset ({count}), got {len(names)}.")
        if len(set(names)) != len(names):
            raise BadUserInput("names must be distinct.")
        for i, name in enumerate(names):
            if not name.strip():
                raise BadUserInput(f"names[{i}] must not be empty.")
    return count


@dataclass(frozen=True)
class SplitArgs:
    sections: int | None
    fractions: list[float] | None
    names: list[str] | None
    seed: int


async def split_set(ctx: RequestContext, set_id: str, args: SplitArgs) -> list[AssetSet]:
    """New subsets (originSetId = the set) holding the set's members in the seed's order, cut at the
    sizes of `split_sizes`. The set itself is unchanged. Five statements, whatever the size."""
    count = _check_split(args.sections, args.fractions, args.names)
    async with write_transaction(ctx):
        source = await _lock_set(ctx, set_id, "splitSet", "split sets", membership=True)
        names = args.names or [f"{source.name}/split-{i}" for i in range(count)]
        n = await ctx.scalar(select(func.count()).select_from(SetAsset).where(SetAsset.set_id == set_id))
        sizes = split_sizes(n, args.sections, args.fractions)
        now = utcnow()
        subsets = [
            {
                "id": new_id(),
                "project_id": source.project_id,
                "name": name,
                "description": None,
                "tags": list(source.tags or []),
                "aux_metadata": {},
                "origin_set_id": set_id,
                "created_at": now,
                "updated_at": now,
            }
            for name in names
        ]
        taken = await ctx.scalars(
            select(AssetSet.name).where(AssetSet.project_id == source.project_id, any_id(AssetSet.name, names))
        )
        if taken:
            raise _conflict(source.project_id, sorted(taken))
        try:
            created = await ctx.scalars(insert(AssetSet).values(subsets).returning(AssetSet))
        except IntegrityError as exc:  # a set of one of these names created since the check
            raise _conflict(source.project_id, names) from exc
        by_id = {s.id: s for s in created}
        bounds_rows, start = [], 0
        for subset, size in zip(subsets, sizes, strict=True):
            bounds_rows.append((subset["id"], start, start + size))
            start += size
        bounds = values(column("subset_id", String), column("lo", Integer), column("hi", Integer), name="bounds").data(
            bounds_rows
        )
        ordered = (
            select(
                SetAsset.asset_id,
                func.row_number().over(order_by=func.md5(literal(f"{args.seed}:") + SetAsset.asset_id)).label("rn"),
            )
            .where(SetAsset.set_id == set_id)
            .subquery("ordered")
        )
        await ctx.execute(
            insert(SetAsset).from_select(
                ["set_id", "asset_id", "added_at"],
                select(bounds.c.subset_id, ordered.c.asset_id, func.now())
                .select_from(ordered)
                .join(bounds, (ordered.c.rn > bounds.c.lo) & (ordered.c.rn <= bounds.c.hi)),
            )
        )
    return [by_id[s["id"]] for s in subsets]


async def delete_set(ctx: RequestContext, set_id: str, delete_content: bool) -> Outcome:
    """Deletes the set (its memberships go with it). With `delete_content`, its member assets are
    deleted the way deleteAssets deletes them (TEAM_MANAGER there too, stored objects removed after
    the commit) and listed as succeeded; otherwise the outcome is empty."""
    async with write_transaction(ctx) as tx:
        await _lock_set(ctx, set_id, "deleteSet", "delete sets", membership=True)
        outcome = Outcome()
        if delete_content:
            outcome = await delete_matched_assets(ctx, tx, AssetWhere(set_id_in=[strawberry.ID(set_id)]))
        await ctx.execute(delete(AssetSet).where(AssetSet.id == set_id).execution_options(synchronize_session=False))
    return outcome
