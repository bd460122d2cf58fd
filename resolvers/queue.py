"""Queue management, as the Kili SDK 26.x calls it: assign, prioritize, skip and unskip assets, and
the (V2/V3-only) per-asset consensus switch.

`assignAssets` and `setAssetsPriority` are mutations by `AssetWhere` with the contract of
resolvers/workflow.py (read its docstring): at least one condition and at most MAX_ASSETS_PER_CALL
assets, the matched rows locked FOR UPDATE in id order, the role checked on the matched assets'
projects (FORBIDDEN: nothing written), LOCKED on an archived project, one transaction, and an
outcome whose `succeeded` and `declined` cover every matched asset and every id or strict external
id `where` names (named but not matched: declined). What each declines, after 26.2.4's docstrings:

    assignAssets       replaces the assignees (`toBeLabeledBy`) by `userIds` (`[]` unassigns).
                       Declines an asset when that would unassign a labeler whose label on it is in
                       progress: their latest label there is an AUTOSAVE (no DEFAULT or REVIEW label
                       of theirs since). The SDK: such a labeler "stays assigned to it whatever this
                       asks for", so the asset is left as it was. Whatever the asset's status: a
                       second labeler may be mid-way on a LABELED asset, and unassigning them would
                       leave them unable to submit there too. TEAM_MANAGER.
    setAssetsPriority  sets the priority of assets "waiting for work": TODO (for a labeler) and
                       TO_REVIEW (for a reviewer: V1's review queue), not skipped. Declines ONGOING
                       (in progress), LABELED and REVIEWED (done) and skipped assets. TEAM_MANAGER.

`skipAsset(where, reason)` skips the one asset `where` matches and records why; an asset used for
consensus is refused (BAD_USER_INPUT: skipping it would take it out of the queue of every labeler
assigned to it). `unskipAsset(projectId, assetId)` clears the flag and the reason. Both take any
member role (LABELER and above): a labeler skips what they cannot label.

`setAssetConsensus` is refused (BAD_USER_INPUT) once the viewer is known to manage the project: the
SDK documents it as incompatible with the legacy (V1) workflow, the only one labelgate runs, and
points to `updatePropertiesInAssets` with `isUsedForConsensus`, which labelgate serves.

Statements per call do not depend on the number of assets: assignAssets costs lock, roles, archive
check, [users], in-progress labelers, one write (a single statement with data-modifying CTEs), and
[the unmatched names]; setAssetsPriority costs lock, roles, archive check, [one UPDATE], [names].
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, case, delete, exists, select, true, union, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from gateway.context import RequestContext
from gateway.db.models import Asset, AssetAssignee, Label, utcnow
from gateway.errors import BadUserInput, Conflict, NotFound
from resolvers.archive import require_writable
from resolvers.arrays import any_id, values_table
from resolvers.assignees import assignable_users, resolve_assignees
from resolvers.filters.asset_where import asset_conditions, compile_asset_where, has_conditions
from resolvers.roles import minimum_role, require_role
from resolvers.transactions import write_transaction
from resolvers.workflow import LockedAsset, Outcome, lock_assets, lock_matched_assets, unmatched_named_assets
from schema.inputs.where import AssetWhere

MAX_ASSIGNEES = 100
MAX_SKIP_REASON_CHARS = 2000
# Statuses of assets waiting for work in V1: TODO for labelers, TO_REVIEW for reviewers.
WAITING_FOR_WORK = ("TODO", "TO_REVIEW")
# Label types that submit a labeler's work (an AUTOSAVE after the last of these is work in progress).
SUBMITTED = ("DEFAULT", "REVIEW")


async def assign_assets(ctx: RequestContext, where: AssetWhere, user_ids: Sequence[str]) -> Outcome:
    """Replaces the assignees of the matched assets by the users `user_ids` names (ids or emails,
    members of every matched asset's project or admins of its organization; BAD_USER_INPUT naming the
    others, nothing written). See the module docstring for what is declined."""
    references = list(dict.fromkeys(user_ids))
    if len(references) > MAX_ASSIGNEES:
        raise BadUserInput(f"userIds names {len(references)} users; at most {MAX_ASSIGNEES} may be assigned at once.")
    async with write_transaction(ctx):
        assets = await lock_matched_assets(ctx, where)
        projects = sorted({a.project_id for a in assets})
        await require_role(ctx, projects, minimum_role("assignAssets"), "assign assets")
        # Membership is read under the project locks taken here, so a member removed concurrently
        # (removeProjectMember locks the project row) is either seen as gone or removed afterwards.
        await require_writable(ctx, projects)
        allowed = await assignable_users(ctx, references, projects)
        wanted = sorted(set().union(*(resolve_assignees(allowed, p, references, "userIds") for p in projects)))
        keeping = await _assets_keeping_labelers_in_progress(ctx, assets, wanted)
        assigning = [a for a in assets if a.id not in keeping]
        if assigning:
            try:
                await _replace_assignees(ctx, [a.id for a in assigning], wanted)
            except IntegrityError as exc:
                raise Conflict("A user was deleted while being assigned; nothing was written.") from exc
        unmatched = await unmatched_named_assets(ctx, where, assets)
    return Outcome(
        succeeded=[a.key for a in assigning],
        declined=[a.key for a in assets if a.id in keeping] + [u.key for u in unmatched],
    )


async def _assets_keeping_labelers_in_progress(
    ctx: RequestContext, assets: list[LockedAsset], wanted: list[str]
) -> set[str]:
    """The assets that have an assignee outside `wanted` whose latest label there is an AUTOSAVE (read
    under the asset locks, which label writes take too). One statement."""
    if not assets:
        return set()
    submitted = aliased(Label)
    in_progress = exists().where(
        Label.asset_id == AssetAssignee.asset_id,
        Label.author_id == AssetAssignee.user_id,
        Label.label_type == "AUTOSAVE",
        ~exists().where(
            submitted.asset_id == Label.asset_id,
            submitted.author_id == Label.author_id,
            submitted.label_type.in_(SUBMITTED),
            submitted.created_at > Label.created_at,
        ),
    )
    return set(
        await ctx.scalars(
            select(AssetAssignee.asset_id)
            .distinct()
            .where(any_id(AssetAssignee.asset_id, [a.id for a in assets]), ~any_id(AssetAssignee.user_id, wanted))
            .where(in_progress)
        )
    )


async def _replace_assignees(ctx: RequestContext, asset_ids: list[str], user_ids: list[str]) -> None:
    """One statement: removes the assignees outside `user_ids`, adds the missing ones, and stamps
    `updated_at` on the assets whose assignees changed (the removed and added rows never overlap)."""
    removed = (
        delete(AssetAssignee)
        .where(any_id(AssetAssignee.asset_id, asset_ids), ~any_id(AssetAssignee.user_id, user_ids))
        .returning(AssetAssignee.asset_id)
        .cte("removed")
    )
    pairs_assets = values_table("assigned_asset", id=asset_ids)
    pairs_users = values_table("assigned_user", id=user_ids)
    added = (
        pg_insert(AssetAssignee)
        .from_select(
            ["asset_id", "user_id"],
            select(pairs_assets.c.id, pairs_users.c.id).select_from(pairs_assets.join(pairs_users, true())),
        )
        .on_conflict_do_nothing()
        .returning(AssetAssignee.asset_id)
        .cte("added")
    )
    changed = union(select(removed.c.asset_id), select(added.c.asset_id))
    await ctx.execute(
        update(Asset)
        .where(Asset.id.in_(changed))
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def set_assets_priority(ctx: RequestContext, where: AssetWhere, priority: int) -> Outcome:
    """Sets the priority of the matched assets waiting for work (see the module docstring). An asset
    whose priority already is `priority` succeeds and keeps its `updatedAt`."""
    async with write_transaction(ctx):
        assets = await lock_matched_assets(ctx, where)
        projects = sorted({a.project_id for a in assets})
        await require_role(ctx, projects, minimum_role("setAssetsPriority"), "set the priority of assets")
        await require_writable(ctx, projects)
        waiting = [a.id for a in assets if a.status in WAITING_FOR_WORK]
        prioritized: set[str] = set()
        if waiting:
            # `skipped` is read here, under the lock: the status came from the lock statement.
            prioritized = set(
                await ctx.scalars(
                    update(Asset)
                    .where(any_id(Asset.id, waiting), Asset.skipped.is_(False))
                    .values(
                        priority=priority,
                        updated_at=case((Asset.priority != priority, utcnow()), else_=Asset.updated_at),
                    )
                    .returning(Asset.id)
                    .execution_options(synchronize_session=False)
                )
            )
        unmatched = await unmatched_named_assets(ctx, where, assets)
    return Outcome(
        succeeded=[a.key for a in assets if a.id in prioritized],
        declined=[a.key for a in assets if a.id not in prioritized] + [u.key for u in unmatched],
    )


async def skip_asset(ctx: RequestContext, where: AssetWhere, reason: str) -> Asset:
    """Marks the one asset `where` matches skipped, with `reason`; returns it. NOT_FOUND when `where`
    matches no asset the viewer may see, BAD_USER_INPUT when it matches several, when the reason is
    empty or when the asset is used for consensus. Skipping a skipped asset replaces its reason."""
    if not reason.strip():
        raise BadUserInput("reason must not be empty: say why the asset is skipped.")
    if len(reason) > MAX_SKIP_REASON_CHARS:
        raise BadUserInput(f"reason is {len(reason)} characters long; at most {MAX_SKIP_REASON_CHARS} are kept.")
    if not has_conditions(asset_conditions(where)):
        raise BadUserInput("where selects every asset you may see: name the asset to skip (id).")
    async with write_transaction(ctx):
        found = await lock_assets(ctx, compile_asset_where(where, ctx.viewer), limit=2)
        if not found:
            named = f" (id '{where.id}')" if where.id is not None else ""
            raise NotFound(f"`where`{named} matches no asset you may see.")
        if len(found) > 1:
            raise BadUserInput("skipAsset skips one asset, but `where` matches several: name it by id.")
        asset = found[0]
        await require_role(ctx, [asset.project_id], minimum_role("skipAsset"), "skip assets")
        await require_writable(ctx, [asset.project_id])
        rows = await ctx.scalars(
            update(Asset)
            .where(Asset.id == asset.id, Asset.is_used_for_consensus.is_(False))
            .values(skipped=True, skip_reason=reason, updated_at=utcnow())
            .returning(Asset)
            .execution_options(populate_existing=True)
        )
        if not rows:
            raise BadUserInput(
                f"Asset '{asset.id}' is used for consensus and cannot be skipped: skipping it would remove it "
                "from the queue of every labeler assigned to it."
            )
    return rows[0]


async def unskip_asset(ctx: RequestContext, project_id: str, asset_id: str) -> str:
    """Puts a skipped asset back in the queue (clears `skipped` and `skipReason`); returns its id.
    An asset that is not skipped is left as it is. NOT_FOUND for a project the viewer may not see or
    an asset it does not hold."""
    async with write_transaction(ctx):
        await require_role(ctx, [project_id], minimum_role("unskipAsset"), "unskip assets")
        if not await lock_assets(ctx, and_(Asset.id == asset_id, Asset.project_id == project_id), limit=1):
            raise NotFound(f"No asset with id '{asset_id}' in project '{project_id}'.")
        await require_writable(ctx, [project_id])
        await ctx.execute(
            update(Asset)
            .where(Asset.id == asset_id, Asset.skipped | Asset.skip_reason.is_not(None))
            .values(skipped=False, skip_reason=None, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return asset_id


async def set_asset_consensus(
    ctx: RequestContext, project_id: str, asset_id: str | None, external_id: str | None, is_consensus: bool
) -> bool:
    """Kili's per-asset consensus switch of multi-step workflows. labelgate runs the V1 workflow only,
    where the SDK itself documents this call as unsupported: after the usual checks (an asset named,
    the project visible, TEAM_MANAGER), BAD_USER_INPUT pointing to `updatePropertiesInAssets`."""
    if asset_id is None and external_id is None:
        raise BadUserInput("Name the asset: give assetId or externalId.")
    await require_role(ctx, [project_id], minimum_role("setAssetConsensus"), "change the consensus of assets")
    raise BadUserInput(
        f"Project '{project_id}' runs the V1 workflow, where setAssetConsensus does not apply (it serves "
        "multi-step workflows). Set `isUsedForConsensus` with `updatePropertiesInAssets` instead "
        f"(the Kili SDK's update_properties_in_assets(is_used_for_consensus_array=[{str(is_consensus)}]))."
    )
