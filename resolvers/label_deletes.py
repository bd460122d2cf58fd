"""Deleting labels: `deleteLabelsWhere(where: LabelWhere!)`, and the Kili SDK's `deleteLabels(ids)`.

Who may delete what (the labels' project roles, resolvers/roles.py): an author deletes their own
labels (LABELER and above); a REVIEWER also deletes REVIEW labels of any author; a TEAM_MANAGER deletes
any label. One matched label the viewer may not delete fails the whole call (FORBIDDEN, naming the
label; nothing is deleted): narrow `where` (e.g. `authorIn: ["<your email>"]`) to delete what is yours.
Labels of an archived project are read-only (LOCKED). A `where` without any condition is refused, and
so is one matching more than MAX_LABELS_PER_CALL labels (BAD_USER_INPUT).

Effects, in one transaction:
- the matched labels are deleted (issues that pointed at one of them keep their asset and lose the
  label reference: `ON DELETE SET NULL`);
- every asset that lost a DEFAULT, REVIEW or AUTOSAVE label gets its status recomputed from the labels
  it has left (resolvers/workflow.py `status_after_label_removal`: REVIEWED falls back to LABELED while
  a DEFAULT label remains, and to ONGOING while only an AUTOSAVE remains, else TODO); deleting only
  PREDICTION and INFERENCE labels leaves the status alone. `latestLabel` is read from the labels that
  remain, so it follows by itself.

The answer, LabelActionOutcome, follows deleteAssets' contract (resolvers/workflow.py): `succeeded`
holds the deleted labels and every id `where` names (`id`, `idIn`) that no label has any more (gone, as
asked; its assetId is null); `declined` the named labels the viewer may see that the other conditions
of `where` exclude; `failed` is always empty (one transaction). A named id of a label the viewer may not
see is NOT_FOUND, as any row of an invisible project: nothing is deleted.

Concurrency: the assets of the matched labels are locked FOR UPDATE in id order (as every writer of
labels and statuses does), then the labels are read again on those assets only, so the statuses are
recomputed from labels no concurrent appendManyLabels can change before the commit. Statements, whatever
the number of labels: lock, labels, roles, archive check, DELETE, [remaining label types, status UPDATE],
[named ids not matched].
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, delete, select

from gateway.context import RequestContext
from gateway.db.models import Asset, Label
from gateway.errors import BadUserInput, Forbidden, NotFound
from resolvers.archive import require_writable
from resolvers.arrays import any_id
from resolvers.filters.asset_where import has_conditions
from resolvers.filters.label_where import compile_label_where, label_conditions
from resolvers.roles import DELETE_ANY_LABEL, DELETE_REVIEW_LABELS, Role, minimum_role, require_role
from resolvers.transactions import write_transaction
from resolvers.visibility import project_visible
from resolvers.workflow import STATUS_LABEL_TYPES, lock_assets, settle_statuses_after_label_removal
from schema.inputs.where import LabelWhere

# One call deletes at most this many labels (as bulk writes by AssetWhere act on at most 10,000 assets).
MAX_LABELS_PER_CALL = 10_000


@dataclass(frozen=True)
class LabelKey:
    label_id: str
    asset_id: str | None  # None when no label has the id any more


@dataclass
class LabelOutcome:
    """`succeeded` and `declined` of LabelActionOutcome (`failed` is always empty: one transaction)."""

    succeeded: list[LabelKey] = field(default_factory=list)
    declined: list[LabelKey] = field(default_factory=list)
    # The new status of each asset whose status the deletion changed.
    statuses: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Matched:
    id: str
    asset_id: str
    project_id: str
    author_id: str
    label_type: str


async def delete_labels(ctx: RequestContext, where: LabelWhere) -> LabelOutcome:
    """Deletes the labels `where` matches among those the viewer may see (module docstring)."""
    if not has_conditions(label_conditions(where)):
        raise BadUserInput("where selects every label you may see: give at least one condition (e.g. idIn).")
    condition = compile_label_where(where, ctx.viewer)
    async with write_transaction(ctx):
        assets = await lock_assets(
            ctx, Asset.id.in_(select(Label.asset_id).where(condition)), limit=MAX_LABELS_PER_CALL + 1
        )
        labels = await _matched_labels(ctx, condition, [a.id for a in assets])
        projects = {label.project_id for label in labels}
        roles = await require_role(ctx, projects, minimum_role("deleteLabelsWhere"), "delete labels")
        for label in labels:
            _check_may_delete(ctx, label, roles[label.project_id])
        await require_writable(ctx, projects)
        unmatched = await _unmatched_named(ctx, where, {label.id for label in labels})
        if labels:
            await ctx.execute(
                delete(Label)
                .where(any_id(Label.id, [label.id for label in labels]))
                .execution_options(synchronize_session=False)
            )
        losing_status = {label.asset_id for label in labels if label.label_type in STATUS_LABEL_TYPES}
        statuses = await settle_statuses_after_label_removal(
            ctx, {a.id: a.status for a in assets if a.id in losing_status}
        )
    return LabelOutcome(
        succeeded=[LabelKey(label.id, label.asset_id) for label in labels] + [k for k, gone in unmatched if gone],
        declined=[k for k, gone in unmatched if not gone],
        statuses=statuses,
    )


async def delete_labels_by_id(ctx: RequestContext, ids: list[str]) -> list[str]:
    """The Kili SDK's `deleteLabels(ids)`: the ids deleted, or already gone, in the order given."""
    outcome = await delete_labels(ctx, LabelWhere(id_in=ids))
    done = {k.label_id for k in outcome.succeeded}
    return [i for i in dict.fromkeys(ids) if i in done]


async def _matched_labels(ctx: RequestContext, condition: ColumnElement[bool], asset_ids: list[str]) -> list[_Matched]:
    """The matched labels on the locked assets, in id order; BAD_USER_INPUT past the cap."""
    rows = (
        await ctx.execute(
            select(Label.id, Label.asset_id, Label.project_id, Label.author_id, Label.label_type)
            .where(condition, any_id(Label.asset_id, asset_ids))
            .order_by(Label.id)
            .limit(MAX_LABELS_PER_CALL + 1)
        )
    ).all()
    if len(rows) > MAX_LABELS_PER_CALL:
        raise BadUserInput(
            f"where matches more than {MAX_LABELS_PER_CALL} labels: narrow it (e.g. with idIn) and call again."
        )
    return [_Matched(*row) for row in rows]


def _check_may_delete(ctx: RequestContext, label: _Matched, role: Role) -> None:
    if role >= DELETE_ANY_LABEL or label.author_id == ctx.viewer.user_id:
        return
    if label.label_type == "REVIEW" and role >= DELETE_REVIEW_LABELS:
        return
    raise Forbidden(
        f"You may not delete label '{label.id}' (asset '{label.asset_id}', a {label.label_type} label of another "
        f"author) in project '{label.project_id}': your role is {role.name}; an author deletes their own labels, "
        f"{DELETE_REVIEW_LABELS.name} also REVIEW labels, {DELETE_ANY_LABEL.name} any label. "
        "Narrow where (e.g. authorIn) to the labels you may delete."
    )


async def _unmatched_named(ctx: RequestContext, where: LabelWhere, matched: set[str]) -> list[tuple[LabelKey, bool]]:
    """The ids `where` names that were not matched, in the order given, each with whether it is gone.
    NOT_FOUND for one of a label the viewer may not see. One statement, only when there are such ids."""
    named = [*([where.id] if where.id is not None else []), *(where.id_in or [])]
    missing = list(dict.fromkeys(str(i) for i in named if str(i) not in matched))
    if not missing:
        return []
    rows = (
        await ctx.execute(
            select(Label.id, Label.asset_id, project_visible(Label.project_id, ctx.viewer)).where(
                any_id(Label.id, missing)
            )
        )
    ).all()
    found = {label_id: (asset_id, visible) for label_id, asset_id, visible in rows}
    for label_id in missing:
        if label_id in found and not found[label_id][1]:
            raise NotFound(f"No label with id '{label_id}' among the labels you may see.")
    return [
        (LabelKey(label_id, found[label_id][0]), False) if label_id in found else (LabelKey(label_id, None), True)
        for label_id in missing
    ]
