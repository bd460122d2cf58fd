"""Writing issues: `createIssues` and `updatePropertiesInIssue`.

createIssues, checked before anything is written (a batch with one bad item writes nothing, and the
error names the item as `issues[i]`):
- each issue names a label (`labelID`: the issue is on that label's asset) or an asset (`assetId`),
  or both (then the label must be one of that asset's): BAD_USER_INPUT otherwise;
- a label or asset the viewer may not see, or that does not exist: NOT_FOUND (as appendManyLabels);
- the asset must match `where` (the SDK sends `{project: {id}}`): BAD_USER_INPUT otherwise;
- role in the asset's project: REVIEWER for an ISSUE (a reviewer's remark), LABELER for a QUESTION
  (Kili's labelers ask questions about what they label): FORBIDDEN otherwise;
- the project must not be archived: LOCKED otherwise.
The author is the viewer; status OPEN. Issues get created_at = now, one microsecond apart in input
order, so lists show them in input order; they are returned in input order.

updatePropertiesInIssue changes the status of the one issue `where.id` names (Kili's SDK always
sends `where: {id}`); needs REVIEWER in its project.

Statements, whatever the number of issues: createIssues [labels], assets (FOR KEY SHARE, so they
cannot be deleted before the INSERT), roles, archive check, one INSERT; updatePropertiesInIssue
find, roles, archive check, one UPDATE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.context import RequestContext
from gateway.db.ids import new_id
from gateway.db.models import Asset, Issue, Label, utcnow
from gateway.errors import BadUserInput, Conflict, Forbidden, NotFound
from resolvers.archive import require_writable
from resolvers.arrays import any_id
from resolvers.filters.asset_where import compile_asset_where
from resolvers.filters.issue_where import compile_issue_where
from resolvers.roles import RAISE_ISSUE, minimum_role, require_role, roles_in
from resolvers.transactions import write_transaction
from resolvers.visibility import project_visible
from schema.inputs.data import IssueData, IssueToCreate
from schema.inputs.where import AssetWhere, IssueWhere

MAX_ISSUES_PER_CALL = 1000
# Role needed to create an issue of each type.
ROLE_TO_CREATE = {"ISSUE": RAISE_ISSUE, "QUESTION": minimum_role("createIssues")}
ROLE_TO_UPDATE = minimum_role("updatePropertiesInIssue")


@dataclass(frozen=True)
class _NewIssue:
    """One issue to write, as given; `where` names it in error messages."""

    where: str
    label_id: str | None
    asset_id: str | None
    object_mid: str | None
    issue_type: str
    text: str | None


@dataclass(frozen=True)
class _Target:
    project_id: str
    matches_where: bool


async def create_issues(ctx: RequestContext, issues: list[IssueToCreate], where: AssetWhere) -> list[Issue]:
    if len(issues) > MAX_ISSUES_PER_CALL:
        raise BadUserInput(f"issues holds {len(issues)} issues: at most {MAX_ISSUES_PER_CALL} a call.")
    items = [_parse(i, issue) for i, issue in enumerate(issues)]
    if not items:
        return []
    async with write_transaction(ctx):
        asset_of_label = await _assets_of_labels(ctx, {item.label_id for item in items if item.label_id is not None})
        asset_ids = [_asset_of(item, asset_of_label) for item in items]
        targets = await _lock_assets(ctx, asset_ids, where)
        for item, asset_id in zip(items, asset_ids, strict=True):
            _check_target(item, asset_id, targets.get(asset_id))
        await _check_roles(ctx, items, [targets[a].project_id for a in asset_ids])
        await require_writable(ctx, {t.project_id for t in targets.values()})
        rows = _rows(ctx, items, asset_ids, targets)
        try:
            await ctx.execute(insert(Issue).values([_columns(row) for row in rows]))
        except IntegrityError as exc:
            # The assets are locked; only a label deleted since it was read can break a foreign key.
            raise Conflict("A label these issues name was deleted meanwhile; nothing was written.") from exc
    return rows


async def update_issue(ctx: RequestContext, data: IssueData, where: IssueWhere) -> Issue:
    """The one issue `where` names by id (NOT_FOUND if the viewer may not see it, or if the other
    conditions of `where` exclude it), with its new status."""
    if where.id is None:
        raise BadUserInput("where.id: updatePropertiesInIssue changes one issue; name it by its id.")
    condition = compile_issue_where(where, ctx.viewer)
    async with write_transaction(ctx):
        project_id = (await ctx.execute(select(Issue.project_id).where(condition))).scalar_one_or_none()
        if project_id is None:
            raise NotFound(f"No issue with id '{where.id}' matches where among the issues you may see.")
        await require_role(ctx, [project_id], ROLE_TO_UPDATE, "change the status of issues")
        # The project row is share-locked before the issue row (as deleteAssets does), so the two never deadlock.
        await require_writable(ctx, [project_id])
        updated = await ctx.scalars(
            update(Issue)
            .where(condition)
            .values(status=data.status.value, updated_at=utcnow())
            .returning(Issue)
            .execution_options(populate_existing=True, synchronize_session=False)
        )
        if not updated:
            raise NotFound(f"Issue '{where.id}' was deleted meanwhile (with its asset); nothing was written.")
    return updated[0]


def _parse(index: int, issue: IssueToCreate) -> _NewIssue:
    where = f"issues[{index}]"
    if issue.label_id is None and issue.asset_id is None:
        raise BadUserInput(f"{where}: give the labelID or the assetId the issue is about.")
    return _NewIssue(
        where=where,
        label_id=str(issue.label_id) if issue.label_id is not None else None,
        asset_id=str(issue.asset_id) if issue.asset_id is not None else None,
        object_mid=issue.object_mid,
        issue_type=issue.type.value,
        text=issue.text,
    )


async def _assets_of_labels(ctx: RequestContext, label_ids: set[str]) -> dict[str, str]:
    """The asset of each of these labels the viewer may see. One statement, none without labels."""
    if not label_ids:
        return {}
    rows = await ctx.execute(
        select(Label.id, Label.asset_id).where(
            any_id(Label.id, label_ids), project_visible(Label.project_id, ctx.viewer)
        )
    )
    return dict(rows.all())


def _asset_of(item: _NewIssue, asset_of_label: dict[str, str]) -> str:
    if item.label_id is None:
        assert item.asset_id is not None
        return item.asset_id
    label_asset = asset_of_label.get(item.label_id)
    if label_asset is None:
        raise NotFound(f"{item.where}: no label with id '{item.label_id}' among the labels you may see.")
    if item.asset_id is not None and item.asset_id != label_asset:
        raise BadUserInput(
            f"{item.where}: label '{item.label_id}' is on asset '{label_asset}', not on assetId '{item.asset_id}'."
        )
    return label_asset


async def _lock_assets(ctx: RequestContext, asset_ids: list[str], where: AssetWhere) -> dict[str, _Target]:
    """The assets the viewer may see among these, with their project and whether they match `where`,
    locked FOR KEY SHARE in id order (a concurrent deleteAssets waits for this call to end)."""
    matches = compile_asset_where(where, ctx.viewer).label("matches_where")
    rows = await ctx.execute(
        select(Asset.id, Asset.project_id, matches)
        .where(any_id(Asset.id, set(asset_ids)), project_visible(Asset.project_id, ctx.viewer))
        .order_by(Asset.id)
        .with_for_update(of=Asset.__table__, read=True, key_share=True)
    )
    return {asset_id: _Target(project_id, bool(matched)) for asset_id, project_id, matched in rows.all()}


def _check_target(item: _NewIssue, asset_id: str, target: _Target | None) -> None:
    if target is None:
        raise NotFound(f"{item.where}: no asset with id '{asset_id}' among the assets you may see.")
    if not target.matches_where:
        raise BadUserInput(
            f"{item.where}: asset '{asset_id}' (project '{target.project_id}') does not match where; "
            "issues may only be created on the assets where selects."
        )


async def _check_roles(ctx: RequestContext, items: list[_NewIssue], project_ids: list[str]) -> None:
    roles = await roles_in(ctx, set(project_ids))
    for item, project_id in zip(items, project_ids, strict=True):
        needed = ROLE_TO_CREATE[item.issue_type]
        role = roles.get(project_id)
        if role is None or role < needed:
            raise Forbidden(
                f"{item.where}: you may not create a {item.issue_type} in project '{project_id}': your role is "
                f"{role.name if role else 'none'}, it takes {needed.name} or above."
            )


def _rows(
    ctx: RequestContext,
    items: list[_NewIssue],
    asset_ids: list[str],
    targets: dict[str, _Target],
) -> list[Issue]:
    now = utcnow()
    rows = []
    for i, (item, asset_id) in enumerate(zip(items, asset_ids, strict=True)):
        created_at = now + timedelta(microseconds=i)
        rows.append(
            Issue(
                id=new_id(),
                project_id=targets[asset_id].project_id,
                asset_id=asset_id,
                label_id=item.label_id,
                object_mid=item.object_mid,
                author_id=ctx.viewer.user_id,
                issue_type=item.issue_type,
                status="OPEN",
                text=item.text,
                created_at=created_at,
                updated_at=created_at,
            )
        )
    return rows


def _columns(row: Issue) -> dict[str, object]:
    return {column.name: getattr(row, column.name) for column in Issue.__table__.columns}
