"""Appending labels: `appendManyLabels` and Kili's older `appendToLabels`.

Rules, checked before anything is written (a batch with one bad item writes nothing, and the error
names the item as `labelsData[i]` with its asset id):
- `jsonResponse` must be a JSON object string; `PREDICTION` labels need a `modelName`; `stepId`
  is refused (labelgate runs Kili's V1 workflow, which has no steps): BAD_USER_INPUT.
- Every `labelsData[i].assetID` must be an asset `where` matches among those the viewer may see:
  NOT_FOUND otherwise.
- Role in the asset's project: LABELER for DEFAULT, AUTOSAVE, PREDICTION and INFERENCE labels,
  REVIEWER for REVIEW labels: FORBIDDEN otherwise.
- `authorID` null (or the viewer's own id) means the viewer. Labeling on behalf of someone else
  takes TEAM_MANAGER (FORBIDDEN otherwise), and the author must be a member of the asset's project
  or an admin of its organization (BAD_USER_INPUT otherwise).
- The asset's project must not be archived: LOCKED otherwise (resolvers/archive.py).

Effects, in one transaction:
- `overwrite: true`: each new label replaces the labels of the same type its asset had before the
  call: by the same author for DEFAULT, REVIEW and AUTOSAVE; of the same model name (whoever
  uploaded them: Kili's rule for predictions) for PREDICTION and INFERENCE. Labels appended by the
  same call never replace each other.
- Asset status: a DEFAULT label makes the asset LABELED, a REVIEW label makes it REVIEWED (from any
  status), an AUTOSAVE label moves a TODO asset to ONGOING (others unchanged); PREDICTION and
  INFERENCE labels leave the status alone.
- Labels get created_at = now, one microsecond apart in input order, so `latestLabel` and
  `isLatestLabelForUser` follow the input order; they are returned in input order.

Concurrency: the assets are locked FOR UPDATE in id order (as every workflow mutation does) before
their status is read and written, so a concurrent addAssetsToReview or sendAssetsBackToQueue either
runs entirely before or entirely after this call. Statements per call, whatever the number of
labels: lock, roles, [authors], archive check, [overwrite delete], one INSERT, [one status UPDATE].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, DateTime, Float, Insert, and_, delete, func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import JSONB

from gateway.context import RequestContext
from gateway.db.ids import new_id
from gateway.db.models import Asset, Label, Project, ProjectMember, User, utcnow
from gateway.errors import BadUserInput, Forbidden, NotFound
from resolvers.archive import require_writable
from resolvers.arrays import any_id, values_table
from resolvers.filters.asset_where import compile_asset_where
from resolvers.json_strings import parse_json_object
from resolvers.roles import LABEL_ON_BEHALF, REVIEW_LABELS, minimum_role, roles_in
from resolvers.transactions import write_transaction
from schema.inputs.data import AppendManyLabelsData, AppendToLabelsData
from schema.inputs.where import AssetWhere

MAX_LABELS_PER_CALL = 1000
MODEL_LABEL_TYPES = frozenset({"PREDICTION", "INFERENCE"})
# Status an asset takes when it gets a label of this type (AUTOSAVE: only from TODO).
STATUS_AFTER = {"DEFAULT": "LABELED", "REVIEW": "REVIEWED", "AUTOSAVE": "ONGOING"}


@dataclass(frozen=True)
class NewLabel:
    """One label to write, validated; `where` names it in error messages."""

    where: str
    asset_id: str
    author_id: str | None
    json_response: dict
    model_name: str | None
    seconds_to_label: float | None


@dataclass(frozen=True, slots=True)
class WrittenLabel:
    """A label this module wrote, as plain values (the columns of `gateway.db.models.Label`): bulk
    appends build no ORM object."""

    id: str
    asset_id: str
    project_id: str
    author_id: str
    label_type: str
    json_response: dict
    seconds_to_label: float | None
    model_name: str | None
    created_at: datetime
    consensus_mark: float | None = None
    honeypot_mark: float | None = None


# The columns an append writes (the marks are computed later), and the types of those not text.
_INSERTED = (
    "id",
    "asset_id",
    "project_id",
    "author_id",
    "label_type",
    "json_response",
    "seconds_to_label",
    "model_name",
    "created_at",
)
_ARRAY_TYPES = {"json_response": JSONB(), "seconds_to_label": Float(), "created_at": DateTime(timezone=True)}


@dataclass(frozen=True)
class _Target:
    id: str
    project_id: str
    organization_id: str
    status: str


async def append_many_labels(ctx: RequestContext, data: AppendManyLabelsData, where: AssetWhere) -> list[WrittenLabel]:
    label_type = data.label_type.value
    if data.step_id is not None:
        raise BadUserInput("stepId: labelgate projects use the V1 workflow (workflowVersion V1), which has no steps.")
    if len(data.labels_data) > MAX_LABELS_PER_CALL:
        raise BadUserInput(f"labelsData holds {len(data.labels_data)} labels: at most {MAX_LABELS_PER_CALL} a call.")
    items = [
        _parse(
            f"labelsData[{i}] (asset '{d.asset_id}')",
            str(d.asset_id),
            d.author_id,
            d.json_response,
            d.model_name,
            d.seconds_to_label,
            label_type,
        )
        for i, d in enumerate(data.labels_data)
    ]
    if not items:
        return []
    asset_ids = list(dict.fromkeys(item.asset_id for item in items))
    async with write_transaction(ctx):
        # Only the assets the labels name are locked, however many more `where` matches.
        rows = await _lock(ctx, and_(compile_asset_where(where, ctx.viewer), any_id(Asset.id, asset_ids)))
        targets = {t.id: t for t in rows}
        for item in items:
            if item.asset_id not in targets:
                raise NotFound(f"{item.where}: no asset with this id matches where among the assets you may see.")
        return await _write(ctx, targets, items, label_type, overwrite=bool(data.overwrite))


async def append_to_labels(ctx: RequestContext, data: AppendToLabelsData, where: AssetWhere) -> WrittenLabel:
    """One label on the one asset `where` matches (NOT_FOUND if none, BAD_USER_INPUT if several);
    `skipped`, when given, is written to the asset."""
    label_type = data.label_type.value
    async with write_transaction(ctx):
        rows = await _lock(ctx, compile_asset_where(where, ctx.viewer), limit=2)
        if not rows:
            raise NotFound("where matches no asset you may see.")
        if len(rows) > 1:
            raise BadUserInput("where matches several assets: appendToLabels labels exactly one (e.g. where: {id}).")
        target = rows[0]
        item = _parse(
            f"asset '{target.id}'",
            target.id,
            data.author_id,
            data.json_response,
            None,
            data.seconds_to_label,
            label_type,
        )
        labels = await _write(ctx, {target.id: target}, [item], label_type, overwrite=False, skipped=data.skipped)
    return labels[0]


def _parse(
    where: str,
    asset_id: str,
    author_id: str | None,
    json_response: str,
    model_name: str | None,
    seconds_to_label: float | None,
    label_type: str,
) -> NewLabel:
    parsed = parse_json_object(json_response, f"{where}: jsonResponse")
    if label_type == "PREDICTION" and not (model_name and model_name.strip()):
        raise BadUserInput(f"{where}: PREDICTION labels need a modelName.")
    return NewLabel(
        where=where,
        asset_id=asset_id,
        author_id=str(author_id) if author_id is not None else None,
        json_response=parsed,
        model_name=model_name,
        seconds_to_label=seconds_to_label,
    )


async def _lock(ctx: RequestContext, condition: ColumnElement[bool], *, limit: int | None = None) -> list[_Target]:
    """The matched assets with their project's organization, locked FOR UPDATE in id order."""
    statement = (
        select(Asset.id, Asset.project_id, Project.organization_id, Asset.status)
        .join(Project, Project.id == Asset.project_id)
        .where(condition)
        .order_by(Asset.id)
        .with_for_update(of=Asset.__table__)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return [_Target(*row) for row in (await ctx.execute(statement)).all()]


async def _write(
    ctx: RequestContext,
    targets: dict[str, _Target],
    items: Sequence[NewLabel],
    label_type: str,
    *,
    overwrite: bool,
    skipped: bool | None = None,
) -> list[WrittenLabel]:
    viewer = ctx.viewer
    authors = [item.author_id or viewer.user_id for item in items]
    await _check_roles(ctx, targets, items, authors, label_type)
    await _check_authors(ctx, targets, items, authors)
    await require_writable(ctx, {t.project_id for t in targets.values()})

    if overwrite:
        await _delete_replaced(ctx, targets, items, authors, label_type)

    now = utcnow()
    labels = [
        WrittenLabel(
            id=new_id(),
            asset_id=item.asset_id,
            project_id=targets[item.asset_id].project_id,
            author_id=author,
            label_type=label_type,
            json_response=item.json_response,
            seconds_to_label=item.seconds_to_label,
            model_name=item.model_name,
            created_at=now + timedelta(microseconds=i),
        )
        for i, (item, author) in enumerate(zip(items, authors, strict=True))
    ]
    await ctx.execute(_insert(labels))
    await _update_assets(ctx, targets, label_type, skipped, now)
    return labels


def _insert(labels: Sequence[WrittenLabel]) -> Insert:
    """One INSERT ... SELECT FROM unnest() of an array per column, whatever the number of labels (the
    same statement text every time, under PostgreSQL's parameter limit)."""
    new = values_table(
        "new_label",
        _ARRAY_TYPES,
        **{name: [getattr(label, name) for label in labels] for name in _INSERTED},
    )
    return insert(Label.__table__).from_select(list(_INSERTED), select(*(new.c[name] for name in _INSERTED)))


async def _check_roles(
    ctx: RequestContext, targets: dict[str, _Target], items: Sequence[NewLabel], authors: list[str], label_type: str
) -> None:
    roles = await roles_in(ctx, {t.project_id for t in targets.values()})
    needed = REVIEW_LABELS if label_type == "REVIEW" else minimum_role("appendManyLabels")
    for item, author in zip(items, authors, strict=True):
        project_id = targets[item.asset_id].project_id
        role = roles.get(project_id)
        if role is None or role < needed:
            raise Forbidden(
                f"{item.where}: you may not append {label_type} labels in project '{project_id}': your role is "
                f"{role.name if role else 'none'}, it takes {needed.name} or above."
            )
        if author != ctx.viewer.user_id and role < LABEL_ON_BEHALF:
            raise Forbidden(
                f"{item.where}: you may not label on behalf of user '{author}' in project '{project_id}': your "
                f"role is {role.name}, it takes {LABEL_ON_BEHALF.name} or above."
            )


async def _check_authors(
    ctx: RequestContext, targets: dict[str, _Target], items: Sequence[NewLabel], authors: list[str]
) -> None:
    """Authors other than the viewer must be members of the asset's project, or admins of its
    organization. One statement, only when there are such authors."""
    others = {a for a in authors if a != ctx.viewer.user_id}
    if not others:
        return
    project_ids = {t.project_id for t in targets.values()}
    rows = (
        await ctx.execute(
            select(User.id, User.organization_id, User.is_org_admin, ProjectMember.project_id)
            .outerjoin(
                ProjectMember,
                and_(ProjectMember.user_id == User.id, any_id(ProjectMember.project_id, project_ids)),
            )
            .where(any_id(User.id, others))
        )
    ).all()
    memberships = {(user_id, project_id) for user_id, _, _, project_id in rows if project_id is not None}
    admin_of = {user_id: organization_id for user_id, organization_id, is_admin, _ in rows if is_admin}
    for item, author in zip(items, authors, strict=True):
        if author == ctx.viewer.user_id:
            continue
        target = targets[item.asset_id]
        if (author, target.project_id) not in memberships and admin_of.get(author) != target.organization_id:
            raise BadUserInput(
                f"{item.where}: author '{author}' is not a member of project '{target.project_id}' "
                "(nor an admin of its organization)."
            )


async def _delete_replaced(
    ctx: RequestContext, targets: dict[str, _Target], items: Sequence[NewLabel], authors: list[str], label_type: str
) -> None:
    """overwrite: one DELETE of the labels the new ones replace (see the module docstring)."""
    if label_type in MODEL_LABEL_TYPES:
        keys = list({(item.asset_id, item.model_name or "") for item in items})
        key_columns = tuple_(Label.asset_id, func.coalesce(Label.model_name, ""))
    else:
        keys = list({(item.asset_id, author) for item, author in zip(items, authors, strict=True)})
        key_columns = tuple_(Label.asset_id, Label.author_id)
    table = values_table("replaced", asset_id=[a for a, _ in keys], other=[o for _, o in keys])
    replaced = key_columns.in_(select(table.c.asset_id, table.c.other))
    await ctx.execute(
        delete(Label)
        .where(Label.label_type == label_type, any_id(Label.asset_id, targets), replaced)
        .execution_options(synchronize_session=False)
    )


async def _update_assets(
    ctx: RequestContext, targets: dict[str, _Target], label_type: str, skipped: bool | None, now: datetime
) -> None:
    """The status effect of the new labels, decided from the status read under the lock, and
    `skipped` (given by appendToLabels only, so with one asset): one UPDATE, none when nothing changes."""
    new_status = STATUS_AFTER.get(label_type)
    if label_type == "AUTOSAVE":
        changing = [t.id for t in targets.values() if t.status == "TODO"]
    else:
        changing = [t.id for t in targets.values() if new_status is not None and t.status != new_status]
    values: dict[str, object] = {"updated_at": now}
    ids = changing
    if changing:
        values["status"] = new_status
    if skipped is not None:
        assert len(targets) == 1, "skipped is set on one asset only"
        values["skipped"] = skipped
        if not skipped:
            values["skip_reason"] = None  # unskipped: the reason of an earlier skipAsset goes too
        ids = list(targets)
    if not ids:
        return
    await ctx.execute(
        update(Asset).where(any_id(Asset.id, ids)).values(**values).execution_options(synchronize_session=False)
    )
