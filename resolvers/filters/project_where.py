"""ProjectWhere → SQL."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_

from gateway.auth import Viewer
from gateway.db.models import Project
from resolvers.filters.common import all_of, contains_text, in_list, time_range
from resolvers.visibility import project_visible
from schema.inputs.where import ProjectWhere


def project_conditions(where: ProjectWhere | None) -> list[ColumnElement[bool] | None]:
    """The conditions of `where` alone, without visibility (for use inside other filters)."""
    if where is None:
        return []
    conditions: list[ColumnElement[bool] | None] = [
        Project.id == where.id if where.id is not None else None,
        in_list(Project.id, where.id_in),
        in_list(Project.input_type, where.input_type_in),
        Project.starred == where.starred if where.starred is not None else None,
        Project.archived == where.archived if where.archived is not None else None,
        Project.organization_id == where.organization_id if where.organization_id is not None else None,
        Project.tags.overlap(list(where.tag_ids)) if where.tag_ids is not None else None,
        false() if where.deleted else None,
        *time_range(Project.created_at, where.created_at_gte, where.created_at_lte, "createdAt"),
        *time_range(Project.updated_at, where.updated_at_gte, where.updated_at_lte, "updatedAt"),
    ]
    if where.search_query:
        query = where.search_query
        conditions.append(or_(contains_text(Project.title, query), contains_text(Project.description, query)))
    return conditions


def compile_project_where(where: ProjectWhere | None, viewer: Viewer) -> ColumnElement[bool]:
    return all_of([project_visible(Project.id, viewer), *project_conditions(where)])
