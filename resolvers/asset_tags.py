"""Asset tags (capability map §3 R6; Picsellia `add_tags`/`remove_tags`, SceneBox `update_by_query`
add/remove): `addTagsToAssets` and `removeTagsFromAssets` by `AssetWhere`.

An asset's tags are a set: the column (`asset.tags`, text[], GIN index `ix_asset_tags`) holds each tag
once, sorted by code point (COLLATE "C", the order Python's `sorted` gives), so the same tags always
read the same. Both writes are idempotent: adding a tag an asset has, or removing one it does not,
changes nothing (and leaves `updatedAt` alone), and the asset is still reported as succeeded, since it
ends up as asked. Each is one UPDATE over the matched assets, locked first in id order like every
curation write (resolvers/metadata_writes.py `lock_curated_assets`): TEAM_MANAGER, LOCKED on archived
projects, at most MAX_ASSETS_PER_CALL assets.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, all_, and_, func, literal, not_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

from gateway.context import RequestContext
from gateway.db.models import Asset, utcnow
from gateway.errors import BadUserInput
from resolvers.arrays import any_id
from resolvers.metadata_writes import curation_outcome, lock_curated_assets
from resolvers.transactions import write_transaction
from resolvers.workflow import Outcome
from schema.inputs.where import AssetWhere

MAX_TAGS_PER_CALL = 100
MAX_TAG_LENGTH = 128


def checked_tags(tags: list[str]) -> list[str]:
    """The tags, each once, sorted; BAD_USER_INPUT for an empty list, a blank or over-long tag, or a tag
    with leading or trailing spaces (which would look like another tag)."""
    if not tags:
        raise BadUserInput("tags: give at least one tag.")
    if len(tags) > MAX_TAGS_PER_CALL:
        raise BadUserInput(f"tags: {len(tags)} tags, at most {MAX_TAGS_PER_CALL} in one call.")
    for index, tag in enumerate(tags):
        if not tag.strip():
            raise BadUserInput(f"tags[{index}]: a tag may not be empty or blank.")
        if tag != tag.strip():
            raise BadUserInput(f"tags[{index}]: '{tag}' starts or ends with a space; give the tag without it.")
        if len(tag) > MAX_TAG_LENGTH:
            raise BadUserInput(f"tags[{index}]: {len(tag)} characters, at most {MAX_TAG_LENGTH}.")
    return sorted(set(tags))


async def add_tags_to_assets(ctx: RequestContext, where: AssetWhere, tags: list[str]) -> Outcome:
    """Adds the tags to every matched asset (a tag it has stays once)."""
    wanted = checked_tags(tags)
    given = literal(wanted, ARRAY(Text))
    return await _write_tags(
        ctx,
        where,
        "addTagsToAssets",
        "tag assets",
        new_tags=_sorted_distinct(Asset.tags.op("||", return_type=ARRAY(Text))(given)),
        changes=not_(Asset.tags.contains(given)),
    )


async def remove_tags_from_assets(ctx: RequestContext, where: AssetWhere, tags: list[str]) -> Outcome:
    """Removes the tags from every matched asset (a tag it does not have is no change)."""
    unwanted = checked_tags(tags)
    given = literal(unwanted, ARRAY(Text))
    tag = func.unnest(Asset.tags).table_valued("tag").render_derived()
    kept = select(tag.c.tag).where(tag.c.tag != all_(given)).order_by(tag.c.tag.collate("C"))
    return await _write_tags(
        ctx,
        where,
        "removeTagsFromAssets",
        "untag assets",
        new_tags=func.array(kept.scalar_subquery(), type_=ARRAY(Text)),
        changes=Asset.tags.overlap(given),
    )


async def _write_tags(
    ctx: RequestContext,
    where: AssetWhere,
    mutation: str,
    action: str,
    *,
    new_tags: ColumnElement[Any],
    changes: ColumnElement[bool],
) -> Outcome:
    async with write_transaction(ctx):
        assets = await lock_curated_assets(ctx, where, mutation, action)
        if assets:
            await ctx.execute(
                update(Asset)
                .where(and_(any_id(Asset.id, [a.id for a in assets]), changes))
                .values(tags=new_tags, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        return await curation_outcome(ctx, where, assets)


def _sorted_distinct(tags: ColumnElement[Any]) -> ColumnElement[Any]:
    """ARRAY(SELECT DISTINCT tag FROM unnest(tags) ORDER BY tag COLLATE "C")."""
    tag = func.unnest(tags).table_valued("tag").render_derived()
    distinct = select(tag.c.tag).group_by(tag.c.tag).order_by(tag.c.tag.collate("C"))
    return func.array(distinct.scalar_subquery(), type_=ARRAY(Text))
