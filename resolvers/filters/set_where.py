"""SetWhere → SQL."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from gateway.auth import Viewer
from gateway.db.models import AssetSet, Project, SetAsset
from resolvers.filters.common import all_of, contains_text, in_list, time_range
from resolvers.filters.project_where import project_conditions
from resolvers.visibility import project_visible
from schema.inputs.where import ProjectWhere, SetWhere


def in_matching_projects(project_id_column: ColumnElement, where: ProjectWhere | None) -> ColumnElement[bool] | None:
    """`project_id_column IN (projects matching where)`, or None when `where` sets no condition.
    Subqueries here are standalone (`correlate(None)`) so the conditions hold wherever they are nested."""
    conditions = [c for c in project_conditions(where) if c is not None]
    if not conditions:
        return None
    return project_id_column.in_(select(Project.id).where(all_of(conditions)).correlate(None))


def set_conditions(where: SetWhere | None) -> list[ColumnElement[bool] | None]:
    """The conditions of `where` alone, without visibility."""
    if where is None:
        return []
    return [
        AssetSet.id == where.id if where.id is not None else None,
        in_list(AssetSet.id, where.id_in),
        in_matching_projects(AssetSet.project_id, where.project),
        in_list(AssetSet.name, where.name_in),
        contains_text(AssetSet.name, where.name_contains),
        AssetSet.tags.overlap(list(where.tags_in)) if where.tags_in is not None else None,
        AssetSet.is_locked == where.is_locked if where.is_locked is not None else None,
        AssetSet.origin_set_id == where.origin_set_id if where.origin_set_id is not None else None,
        (
            AssetSet.id.in_(select(SetAsset.set_id).where(SetAsset.asset_id == where.has_asset).correlate(None))
            if where.has_asset is not None
            else None
        ),
        *time_range(AssetSet.created_at, where.created_at_gte, where.created_at_lte, "createdAt"),
        *time_range(AssetSet.updated_at, where.updated_at_gte, where.updated_at_lte, "updatedAt"),
    ]


def compile_set_where(where: SetWhere | None, viewer: Viewer) -> ColumnElement[bool]:
    return all_of([project_visible(AssetSet.project_id, viewer), *set_conditions(where)])
