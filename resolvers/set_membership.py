"""Putting new assets in sets at ingest (appendManyAssets `setIDArray`).

A set belongs to one project and only holds assets of it; a locked set takes no new members (LOCKED).
Two statements whatever the number of items, and only when some item names a set: one checks the sets
named (FOR SHARE, so a lock that commits meanwhile waits for the append), one inserts every
membership, keeping the time each asset was added.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import DateTime, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gateway.context import RequestContext
from gateway.db.models import AssetSet, SetAsset, utcnow
from gateway.errors import BadUserInput, Locked
from resolvers.arrays import any_id, values_table


async def check_sets(ctx: RequestContext, project_id: str, set_ids: Sequence[Sequence[str] | None]) -> None:
    """BAD_USER_INPUT naming `setIDArray[i]` for a set that is not the project's, LOCKED for a locked one."""
    wanted = sorted({s for ids in set_ids if ids for s in ids})
    if not wanted:
        return
    rows = (
        await ctx.execute(
            select(AssetSet.id, AssetSet.project_id, AssetSet.is_locked)
            .where(any_id(AssetSet.id, wanted))
            .order_by(AssetSet.id)
            .with_for_update(read=True)
        )
    ).all()
    found = {row.id: row for row in rows}
    for index, ids in enumerate(set_ids):
        for set_id in ids or ():
            row = found.get(set_id)
            if row is None or row.project_id != project_id:
                raise BadUserInput(f"setIDArray[{index}]: no set '{set_id}' in project '{project_id}'.")
            if row.is_locked:
                raise Locked(f"setIDArray[{index}]: set '{set_id}' is locked; unlock it to add assets.")


async def add_members(ctx: RequestContext, asset_ids: Sequence[str], set_ids: Sequence[Sequence[str] | None]) -> None:
    """Puts asset i in each set of `set_ids[i]` (a membership already there is kept). One statement."""
    pairs = sorted({(asset_id, s) for asset_id, ids in zip(asset_ids, set_ids, strict=True) for s in ids or ()})
    if not pairs:
        return
    added = values_table("added", asset_id=[p[0] for p in pairs], set_id=[p[1] for p in pairs])
    await ctx.execute(
        pg_insert(SetAsset)
        .from_select(
            ["set_id", "asset_id", "added_at"],
            select(added.c.set_id, added.c.asset_id, literal(utcnow(), DateTime(timezone=True))),
        )
        .on_conflict_do_nothing()
    )
