"""Request-scoped DataLoaders: one batched statement per relation per request, whatever the page size.

Loaders are built per request (never module-level), so nothing leaks between viewers. Rows are only
reached through ids of rows the viewer could already see, and loaders keyed by project id filter by
visibility again, so a loader never hands out a row the viewer may not see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import exists, func, select, tuple_
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import aliased
from strawberry.dataloader import DataLoader

from gateway.db.models import (
    Asset,
    AssetAssignee,
    AssetSet,
    Issue,
    Label,
    Project,
    ProjectMember,
    Session,
    SessionEvent,
    SetAsset,
    User,
)
from resolvers import label_stats, session_events
from resolvers import sessions as session_reads
from resolvers import sets as set_reads
from resolvers.arrays import any_id
from resolvers.stats import group_stats
from resolvers.visibility import project_visible

if TYPE_CHECKING:
    from gateway.context import RequestContext
    from resolvers.per_parent import PageKey

K = TypeVar("K", bound=Hashable)


def _one_per_key(keys: Sequence[K], rows: Sequence[Any], key_of: Callable[[Any], K]) -> list[Any]:
    found = {key_of(row): row for row in rows}
    return [found.get(key) for key in keys]


def _many_per_key(keys: Sequence[K], pairs: Sequence[tuple[K, Any]]) -> list[list[Any]]:
    grouped: dict[K, list[Any]] = defaultdict(list)
    for key, row in pairs:
        grouped[key].append(row)
    return [grouped.get(key, []) for key in keys]


# Each loader (an attribute of `Loaders`) and the batch function behind it.
_BATCH_FUNCTIONS = {
    "project": "_projects",
    "user": "_users",
    "session": "_sessions",
    "labels_of_asset": "_labels_of_assets",
    "issues_of_asset": "_issues_of_assets",
    "label": "_labels",
    "latest_label_of_asset": "_latest_labels_of_assets",
    "label_stats_of_asset": "_label_stats_of_assets",
    "sets_of_asset": "_sets_of_assets",
    "assignees_of_asset": "_assignees_of_assets",
    "members_of_project": "_members_of_projects",
    "asset_count_of_project": "_asset_counts_of_projects",
    "asset_count_of_set": "_asset_counts_of_sets",
    "asset_count_of_session": "_asset_counts_of_sessions",
    "sensors_of_session": "_sensors_of_sessions",
    "stats_of_set": "_stats_of_sets",
    "stats_of_session": "_stats_of_sessions",
    "asset": "_assets",
    "label_is_latest_for_user": "_labels_latest_for_user",
    "set": "_sets",
    # Keyed by resolvers.per_parent.PageKey: one statement pages every parent of the batch.
    "asset_page_of_set": "_asset_pages_of_sets",
    "asset_page_of_session": "_asset_pages_of_sessions",
    "event_page_of_session": "_event_pages_of_sessions",
    # Keyed by resolvers.session_events.SummaryKey: sessions asking for the same window share statements.
    "event_summary_of_session": "_event_summaries",
}


class Loaders:
    """All loaders of one request."""

    def __init__(self, ctx: RequestContext) -> None:
        self._ctx = ctx

    def __getattr__(self, name: str) -> DataLoader:
        """The loader `name` of `_BATCH_FUNCTIONS`, made on first use: most requests use none or a few
        (a planned query none at all), and making all of them cost a few percent of a small request."""
        function = _BATCH_FUNCTIONS.get(name)
        if function is None:
            raise AttributeError(name)
        loader = DataLoader(load_fn=getattr(self, function))
        setattr(self, name, loader)
        return loader

    async def _projects(self, ids: list[str]) -> list[Project | None]:
        rows = await self._ctx.scalars(
            select(Project).where(any_id(Project.id, ids), project_visible(Project.id, self._ctx.viewer))
        )
        return _one_per_key(ids, rows, lambda p: p.id)

    async def _users(self, ids: list[str]) -> list[User | None]:
        rows = await self._ctx.scalars(select(User).where(any_id(User.id, ids)))
        return _one_per_key(ids, rows, lambda u: u.id)

    async def _sets(self, ids: list[str]) -> list[AssetSet | None]:
        rows = await self._ctx.scalars(
            select(AssetSet).where(any_id(AssetSet.id, ids), project_visible(AssetSet.project_id, self._ctx.viewer))
        )
        return _one_per_key(ids, rows, lambda s: s.id)

    async def _assets(self, ids: list[str]) -> list[Asset | None]:
        rows = await self._ctx.scalars(
            select(Asset).where(any_id(Asset.id, ids), project_visible(Asset.project_id, self._ctx.viewer))
        )
        return _one_per_key(ids, rows, lambda a: a.id)

    async def _labels(self, ids: list[str]) -> list[Label | None]:
        rows = await self._ctx.scalars(
            select(Label).where(any_id(Label.id, ids), project_visible(Label.project_id, self._ctx.viewer))
        )
        return _one_per_key(ids, rows, lambda label: label.id)

    async def _labels_latest_for_user(self, label_ids: list[str]) -> list[bool]:
        """Whether each label is the newest (created_at, id) of its author on its asset."""
        newer = aliased(Label)
        latest = await self._ctx.scalars(
            select(Label.id).where(
                any_id(Label.id, label_ids),
                ~exists().where(
                    newer.asset_id == Label.asset_id,
                    newer.author_id == Label.author_id,
                    tuple_(newer.created_at, newer.id) > tuple_(Label.created_at, Label.id),
                ),
            )
        )
        found = set(latest)
        return [label_id in found for label_id in label_ids]

    async def _sessions(self, ids: list[str]) -> list[Session | None]:
        rows = await self._ctx.scalars(
            select(Session).where(any_id(Session.id, ids), project_visible(Session.project_id, self._ctx.viewer))
        )
        return _one_per_key(ids, rows, lambda s: s.id)

    async def _labels_of_assets(self, asset_ids: list[str]) -> list[list[Label]]:
        rows = await self._ctx.scalars(
            select(Label).where(any_id(Label.asset_id, asset_ids)).order_by(Label.created_at, Label.id)
        )
        return _many_per_key(asset_ids, [(label.asset_id, label) for label in rows])

    async def _issues_of_assets(self, asset_ids: list[str]) -> list[list[Issue]]:
        rows = await self._ctx.scalars(
            select(Issue)
            .where(any_id(Issue.asset_id, asset_ids), project_visible(Issue.project_id, self._ctx.viewer))
            .order_by(Issue.created_at, Issue.id)
        )
        return _many_per_key(asset_ids, [(issue.asset_id, issue) for issue in rows])

    async def _latest_labels_of_assets(self, asset_ids: list[str]) -> list[Label | None]:
        rows = await self._ctx.scalars(
            select(Label)
            .where(any_id(Label.asset_id, asset_ids))
            .ext(distinct_on(Label.asset_id))
            .order_by(Label.asset_id, Label.created_at.desc(), Label.id.desc())
        )
        return _one_per_key(asset_ids, rows, lambda label: label.asset_id)

    async def _label_stats_of_assets(self, asset_ids: list[str]) -> list[label_stats.AssetLabelStats]:
        return await label_stats.label_stats_of_assets(self._ctx, asset_ids)

    async def _sets_of_assets(self, asset_ids: list[str]) -> list[list[AssetSet]]:
        rows = (
            await self._ctx.execute(
                select(SetAsset.asset_id, AssetSet)
                .join(AssetSet, AssetSet.id == SetAsset.set_id)
                .where(any_id(SetAsset.asset_id, asset_ids), project_visible(AssetSet.project_id, self._ctx.viewer))
                .order_by(AssetSet.created_at, AssetSet.id)
            )
        ).all()
        return _many_per_key(asset_ids, [(asset_id, asset_set) for asset_id, asset_set in rows])

    async def _assignees_of_assets(self, asset_ids: list[str]) -> list[list[User]]:
        rows = (
            await self._ctx.execute(
                select(AssetAssignee.asset_id, User)
                .join(User, User.id == AssetAssignee.user_id)
                .where(any_id(AssetAssignee.asset_id, asset_ids))
                .order_by(User.email)
            )
        ).all()
        return _many_per_key(asset_ids, [(asset_id, user) for asset_id, user in rows])

    async def _members_of_projects(self, project_ids: list[str]) -> list[list[ProjectMember]]:
        rows = await self._ctx.scalars(
            select(ProjectMember)
            .where(any_id(ProjectMember.project_id, project_ids))
            .order_by(ProjectMember.created_at, ProjectMember.id)
        )
        return _many_per_key(project_ids, [(m.project_id, m) for m in rows])

    async def _asset_counts_of_projects(self, project_ids: list[str]) -> list[int]:
        rows = (
            await self._ctx.execute(
                select(Asset.project_id, func.count())
                .where(any_id(Asset.project_id, project_ids))
                .group_by(Asset.project_id)
            )
        ).all()
        counts = dict(rows)
        return [counts.get(pid, 0) for pid in project_ids]

    async def _asset_counts_of_sets(self, set_ids: list[str]) -> list[int]:
        rows = (
            await self._ctx.execute(
                select(SetAsset.set_id, func.count())
                .join(Asset, Asset.id == SetAsset.asset_id)
                .where(any_id(SetAsset.set_id, set_ids), project_visible(Asset.project_id, self._ctx.viewer))
                .group_by(SetAsset.set_id)
            )
        ).all()
        counts = dict(rows)
        return [counts.get(sid, 0) for sid in set_ids]

    async def _asset_counts_of_sessions(self, session_ids: list[str]) -> list[int]:
        return await session_reads.asset_counts_of_sessions(self._ctx, session_ids)

    async def _sensors_of_sessions(self, session_ids: list[str]) -> list[list[str]]:
        return await session_reads.sensors_of_sessions(self._ctx, session_ids)

    async def _stats_of_sets(self, set_ids: list[str]) -> list[group_stats.StatsResult]:
        return await group_stats.stats_of_sets(self._ctx, set_ids)

    async def _stats_of_sessions(self, session_ids: list[str]) -> list[group_stats.StatsResult]:
        return await group_stats.stats_of_sessions(self._ctx, session_ids)

    async def _asset_pages_of_sets(self, keys: list[PageKey]) -> list[list[Asset]]:
        return await set_reads.asset_pages_of_sets(self._ctx, keys)

    async def _asset_pages_of_sessions(self, keys: list[PageKey]) -> list[list[Asset]]:
        return await session_reads.asset_pages_of_sessions(self._ctx, keys)

    async def _event_pages_of_sessions(self, keys: list[PageKey]) -> list[list[SessionEvent]]:
        return await session_events.event_pages_of_sessions(self._ctx, keys)

    async def _event_summaries(self, keys: list[session_events.SummaryKey]) -> list[list[session_events.NameSummary]]:
        return await session_events.event_summaries(self._ctx, keys)
