"""Workflow mutations by `AssetWhere`: add to review, send back to the queue, delete.

The V1 status machine (DESIGN.md "Workflow"); an asset in any other state is *declined* and left
as it was, without failing the others:

    addAssetsToReview      LABELED, REVIEWED            → TO_REVIEW   (TODO, ONGOING, TO_REVIEW declined)
    sendAssetsBackToQueue  LABELED, TO_REVIEW, REVIEWED → ONGOING     (TODO, ONGOING declined)
    deleteAssets           any                          → deleted, with its labels, set memberships and
                                                          assignees (FK cascades); its stored object is
                                                          queued for removal in the same transaction and
                                                          removed once it has committed (retried until
                                                          S3 has it gone: gateway/storage_outbox.py)

Deleting labels (deleteLabelsWhere, resolvers/label_deletes.py) moves an asset that lost a DEFAULT,
REVIEW or AUTOSAVE label back as far as its remaining labels require (`status_after_label_removal`).

Reviewed assets may go back to review (a second review round); an asset already TO_REVIEW is declined
because nothing would change (the status transitions only list assets they changed).

The answer follows the contract of the Kili SDK (26.2.4 `add_to_review`, `send_back_to_queue`,
`delete_many_from_dataset`): `succeeded`, `declined` and `failed` together cover every asset the call
acted on and everything `where` names explicitly (`id`, `idIn`, `externalIdStrictlyIn`):

- `succeeded`: the assets that ended up in the state asked for. For deleteAssets that includes an id
  no asset has any more (deleted earlier, e.g. by a concurrent call, or never created): it is gone, as
  asked. It never includes an asset that still exists: one of a project the viewer may not see is
  declined, as it was not deleted. Telling the two apart looks the unmatched ids up without the
  visibility filter, and only their existence leaves the database (their external id is masked in the
  statement itself). So a caller who already holds an asset id learns whether it exists; that is
  acceptable because ids are unguessable (a caller cannot find ids by trying).
- `declined`: the assets the request could not be applied to: their status does not allow it (above),
  or `where` names them but the call did not act on them — its other conditions exclude them, no
  asset the viewer may see has the id (status transitions), or it exists in a project the viewer may
  not see (deleteAssets). The reason is not carried, as in the SDK. An asset whose external id is
  unknown is reported with the external id and an empty asset id.
- `failed`: the assets whose write threw, worth retrying as is. Each call is one transaction: a write
  error fails the whole call as a GraphQL error and nothing is written. So labelgate never reports an
  asset under `failed` today; the list stays in the schema because the SDK selects it.

An external id in `externalIdStrictlyIn` is a selector among the assets the viewer may see (in the
projects `where.project` selects), not the identity of one asset: it is covered as soon as one matched
asset has it; otherwise the visible assets that have it are declined, and when none has it, it is
reported with assetId "": under `succeeded` for deleteAssets (no asset the viewer may see has it, as
asked), `declined` for the others. External ids are guessable, so they are never looked up beyond the
viewer's visibility.

Order: the assets acted on, in id order, then what `where` names and the call did not act on, in the
order given.

Concurrency: each call locks the matched asset rows (`SELECT ... ORDER BY id FOR UPDATE`, the same
order in every writer of asset statuses, so two calls never deadlock), decides per asset from the
status it read under the lock, writes all changes in one statement and commits. A concurrent call
on the same assets waits for the lock and then sees the committed status (or skips an asset deleted
meanwhile, which the lookup of the unmatched names then finds gone), so `succeeded` always names
transitions that really happened, in commit order. The statement count does not depend on the number
of assets; the lookup of unmatched names costs one statement, and only when something named was not
matched.

Authorization: the role is checked on the projects of the matched (locked) assets; one project
where the viewer's role is too low fails the whole call (FORBIDDEN, nothing written). Assets of an
archived project are read-only: LOCKED, nothing written (resolvers/archive.py). A `where` without
any condition is refused (it would act on every asset the viewer may see), and so is one matching
more than MAX_ASSETS_PER_CALL assets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, case, delete, or_, select, update

from gateway.context import RequestContext
from gateway.db.models import Asset, Label, utcnow
from gateway.errors import BadUserInput
from gateway.storage_outbox import queue_removals, remove_queued
from resolvers.archive import require_writable
from resolvers.arrays import any_id, values_table
from resolvers.filters.asset_where import asset_conditions, compile_asset_where, has_conditions, in_projects
from resolvers.roles import Role, minimum_role, require_role
from resolvers.transactions import WriteTransaction, write_transaction
from resolvers.visibility import project_visible
from schema.inputs.where import AssetWhere

# One call acts on at most this many assets: the locks, the statement and the answer stay bounded.
MAX_ASSETS_PER_CALL = 10_000

TO_REVIEW_FROM = frozenset({"LABELED", "REVIEWED"})
BACK_TO_QUEUE_FROM = frozenset({"LABELED", "TO_REVIEW", "REVIEWED"})

# Label types that carry an asset's status (PREDICTION and INFERENCE never move it).
STATUS_LABEL_TYPES = frozenset({"DEFAULT", "REVIEW", "AUTOSAVE"})


def status_after_label_removal(status: str, remaining_types: set[str]) -> str:
    """The status of an asset that lost some of its DEFAULT, REVIEW or AUTOSAVE labels (deleteLabels),
    given the label types it still has. Removing labels never moves an asset forward; it moves it back
    only as far as the remaining labels require:

        REVIEWED   stays while a REVIEW label remains; else LABELED while a DEFAULT label remains
        LABELED, TO_REVIEW
                   stay while a DEFAULT or REVIEW label remains (the review round is kept)
        ONGOING    stays while a DEFAULT, REVIEW or AUTOSAVE label remains (sent back to the queue, or
                   being labeled)
        any        else ONGOING while an AUTOSAVE label remains, else TODO
        TODO       stays TODO
    """
    if status == "TODO":
        return status
    if status == "REVIEWED" and "REVIEW" in remaining_types:
        return status
    if remaining_types & {"DEFAULT", "REVIEW"}:
        return "LABELED" if status == "REVIEWED" else status
    return "ONGOING" if "AUTOSAVE" in remaining_types else "TODO"


@dataclass(frozen=True)
class AssetKey:
    asset_id: str  # "" for an external id no asset the viewer may see has
    external_id: str | None  # None when the asset is gone or the viewer may not see it


@dataclass
class Outcome:
    """`succeeded` and `declined` of AssetActionOutcome (`failed` is always empty: see the module docstring)."""

    succeeded: list[AssetKey] = field(default_factory=list)
    declined: list[AssetKey] = field(default_factory=list)
    # The project of each asset this call changed (moved or deleted), by asset id: what the Kili 2.16x
    # names answer (resolvers/kili_legacy.py).
    changed_projects: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Unmatched:
    """Something `where` names that the call did not act on. `gone`: no asset has the id (or no asset
    the viewer may see has the external id); otherwise the asset exists, unmatched or invisible."""

    key: AssetKey
    gone: bool


@dataclass(frozen=True)
class LockedAsset:
    id: str
    external_id: str
    project_id: str
    status: str
    storage_key: str | None

    @property
    def key(self) -> AssetKey:
        return AssetKey(self.id, self.external_id)


async def lock_assets(ctx: RequestContext, condition: ColumnElement[bool], *, limit: int) -> list[LockedAsset]:
    """The assets matching `condition`, locked FOR UPDATE in id order (the deadlock-free order every
    writer of asset rows uses), at most `limit` of them. One statement."""
    rows = (
        await ctx.execute(
            select(Asset.id, Asset.external_id, Asset.project_id, Asset.status, Asset.storage_key)
            .where(condition)
            .order_by(Asset.id)
            .limit(limit)
            .with_for_update(of=Asset.__table__)
        )
    ).all()
    return [LockedAsset(*row) for row in rows]


async def settle_statuses_after_label_removal(ctx: RequestContext, statuses: dict[str, str]) -> dict[str, str]:
    """Recomputes (status_after_label_removal) and writes the status of these assets, locked by the
    caller, which have just lost DEFAULT, REVIEW or AUTOSAVE labels; `statuses` holds the status each
    had under the lock. Returns the new status of each asset whose status changed. Two statements
    whatever the number of assets (one read of the remaining label types, one UPDATE), none when
    `statuses` is empty."""
    if not statuses:
        return {}
    rows = (
        await ctx.execute(
            select(Label.asset_id, Label.label_type)
            .where(any_id(Label.asset_id, statuses), any_id(Label.label_type, STATUS_LABEL_TYPES))
            .distinct()
        )
    ).all()
    remaining: dict[str, set[str]] = {}
    for asset_id, label_type in rows:
        remaining.setdefault(asset_id, set()).add(label_type)
    changed = {
        asset_id: new
        for asset_id, status in statuses.items()
        if (new := status_after_label_removal(status, remaining.get(asset_id, set()))) != status
    }
    if changed:
        table = values_table("settled", id=list(changed), status=list(changed.values()))
        await ctx.execute(
            update(Asset)
            .where(Asset.id == table.c.id)
            .values(status=table.c.status, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return changed


async def add_assets_to_review(ctx: RequestContext, where: AssetWhere) -> Outcome:
    """LABELED and REVIEWED assets go TO_REVIEW; the viewer must be REVIEWER in every matched project."""
    return await _transition(
        ctx, where, TO_REVIEW_FROM, "TO_REVIEW", minimum_role("addAssetsToReview"), "add assets to review"
    )


async def send_assets_back_to_queue(ctx: RequestContext, where: AssetWhere) -> Outcome:
    """LABELED, TO_REVIEW and REVIEWED assets go back to ONGOING; REVIEWER in every matched project."""
    return await _transition(
        ctx,
        where,
        BACK_TO_QUEUE_FROM,
        "ONGOING",
        minimum_role("sendAssetsBackToQueue"),
        "send assets back to the queue",
    )


async def delete_locked_assets(ctx: RequestContext, tx: WriteTransaction, assets: list[LockedAsset]) -> None:
    """Deletes these locked assets (labels, memberships and assignees cascade) and queues their stored
    objects for removal once `tx` has committed. Two statements at most, whatever the number of assets."""
    if assets:
        await ctx.execute(
            delete(Asset).where(any_id(Asset.id, [a.id for a in assets])).execution_options(synchronize_session=False)
        )
    # Another asset may refer to the same object (the same upload appended twice): the removal
    # checks that after the commit and keeps the object then.
    queued = await queue_removals(ctx, {a.storage_key for a in assets if a.storage_key})
    if queued:
        tx.on_commit(lambda: remove_queued(ctx, queued))


async def delete_assets(ctx: RequestContext, where: AssetWhere) -> Outcome:
    """Deletes every matched asset (TEAM_MANAGER in every matched project). Labels, set memberships and
    assignees go with it (ON DELETE CASCADE). Their stored objects are queued for removal in the same
    transaction and removed after the commit, except those another asset still refers to; a storage
    failure never undoes the delete (a half-deleted asset would be a lie): the removal is retried in
    the background until it succeeds. A named id no asset has is `succeeded` (already gone); one that
    still exists but was not matched, or is invisible to the viewer, is `declined`."""
    async with write_transaction(ctx) as tx:
        return await delete_matched_assets(ctx, tx, where)


async def delete_matched_assets(ctx: RequestContext, tx: WriteTransaction, where: AssetWhere) -> Outcome:
    """deleteAssets' work inside the caller's transaction `tx` (deleteSet with deleteContent runs it too)."""
    assets = await lock_matched_assets(ctx, where)
    projects = {a.project_id for a in assets}
    await require_role(ctx, projects, minimum_role("deleteAssets"), "delete assets")
    await require_writable(ctx, projects)
    await delete_locked_assets(ctx, tx, assets)
    unmatched = await unmatched_named_assets(ctx, where, assets)
    return Outcome(
        succeeded=[a.key for a in assets] + [u.key for u in unmatched if u.gone],
        declined=[u.key for u in unmatched if not u.gone],
        changed_projects={a.id: a.project_id for a in assets},
    )


async def _transition(
    ctx: RequestContext, where: AssetWhere, allowed_from: frozenset[str], to: str, minimum: Role, action: str
) -> Outcome:
    async with write_transaction(ctx):
        assets = await lock_matched_assets(ctx, where)
        projects = {a.project_id for a in assets}
        await require_role(ctx, projects, minimum, action)
        await require_writable(ctx, projects)
        moving = [a for a in assets if a.status in allowed_from]
        if moving:
            await ctx.execute(
                update(Asset)
                .where(any_id(Asset.id, [a.id for a in moving]))
                .values(status=to, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        unmatched = await unmatched_named_assets(ctx, where, assets)
    return Outcome(
        succeeded=[a.key for a in moving],
        # Whether gone or merely unmatched, the status could not be changed: declined.
        declined=[a.key for a in assets if a.status not in allowed_from] + [u.key for u in unmatched],
        changed_projects={a.id: a.project_id for a in moving},
    )


async def lock_matched_assets(ctx: RequestContext, where: AssetWhere) -> list[LockedAsset]:
    """The assets `where` matches among those the viewer may see, locked in id order (lock_assets);
    BAD_USER_INPUT for a `where` without conditions or matching more than MAX_ASSETS_PER_CALL."""
    if not has_conditions(asset_conditions(where)):
        raise BadUserInput("where selects every asset you may see: give at least one condition (e.g. idIn or project).")
    assets = await lock_assets(ctx, compile_asset_where(where, ctx.viewer), limit=MAX_ASSETS_PER_CALL + 1)
    if len(assets) > MAX_ASSETS_PER_CALL:
        raise BadUserInput(
            f"where matches more than {MAX_ASSETS_PER_CALL} assets: narrow it (e.g. with idIn) and call again."
        )
    return assets


async def unmatched_named_assets(ctx: RequestContext, where: AssetWhere, matched: list[LockedAsset]) -> list[Unmatched]:
    """What `where` names explicitly (ids, strict external ids) and the call did not act on, in the
    order given, each asset once. One statement, and only when something named was not matched.

    Ids are looked up without the visibility filter, to tell an asset that exists (but is invisible or
    excluded by `where`) from one that does not; for an invisible asset only its existence leaves the
    database: its external id is masked in the statement. External ids are looked up among the visible
    assets of the projects `where.project` selects only (they are guessable)."""
    matched_ids = {a.id for a in matched}
    matched_external_ids = {a.external_id for a in matched}
    named_ids = [*([where.id] if where.id is not None else []), *(where.id_in or [])]
    missing_ids = list(dict.fromkeys(str(i) for i in named_ids if i not in matched_ids))
    missing_external_ids = list(
        dict.fromkeys(e for e in where.external_id_strictly_in or [] if e not in matched_external_ids)
    )
    if not missing_ids and not missing_external_ids:
        return []
    visible = project_visible(Asset.project_id, ctx.viewer)
    by_external_id = and_(
        visible,
        any_id(Asset.external_id, missing_external_ids),
        *[c for c in [in_projects(Asset.project_id, where.project)] if c is not None],
    )
    rows = (
        await ctx.execute(
            select(Asset.id, case((visible, Asset.external_id)), by_external_id)
            .where(or_(any_id(Asset.id, missing_ids), by_external_id))
            .order_by(Asset.id)
        )
    ).all()
    external_id_of = {asset_id: external_id for asset_id, external_id, _ in rows}  # None: invisible
    ids_with: dict[str, list[str]] = {}
    for asset_id, external_id, found_by_external_id in rows:
        if found_by_external_id:
            ids_with.setdefault(external_id, []).append(asset_id)

    unmatched = [
        Unmatched(AssetKey(asset_id, external_id_of.get(asset_id)), gone=asset_id not in external_id_of)
        for asset_id in missing_ids
    ]
    reported = set(missing_ids)
    for external_id in missing_external_ids:
        found = ids_with.get(external_id)
        if not found:
            # No asset id to give: assetId is empty and externalId names what was asked for.
            unmatched.append(Unmatched(AssetKey("", external_id), gone=True))
            continue
        unmatched += [Unmatched(AssetKey(i, external_id), gone=False) for i in found if i not in reported]
        reported.update(found)
    return unmatched
