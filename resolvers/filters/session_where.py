"""SessionWhere → SQL."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from gateway.auth import Viewer
from gateway.db.models import Session
from resolvers.filters.common import all_of, contains_text, in_list, time_range
from resolvers.filters.set_where import in_matching_projects
from resolvers.visibility import project_visible
from schema.inputs.where import SessionWhere


def session_conditions(where: SessionWhere | None) -> list[ColumnElement[bool] | None]:
    """The conditions of `where` alone, without visibility."""
    if where is None:
        return []
    return [
        Session.id == where.id if where.id is not None else None,
        in_list(Session.id, where.id_in),
        in_matching_projects(Session.project_id, where.project),
        contains_text(Session.name, where.name_contains),
        in_list(Session.session_type, where.session_type_in),
        in_list(Session.status, where.status_in),
        *time_range(Session.start_time, where.start_time_gte, where.start_time_lte, "startTime"),
        *time_range(Session.end_time, where.end_time_gte, where.end_time_lte, "endTime"),
        *time_range(Session.created_at, where.created_at_gte, where.created_at_lte, "createdAt"),
    ]


def compile_session_where(where: SessionWhere | None, viewer: Viewer) -> ColumnElement[bool]:
    return all_of([project_visible(Session.project_id, viewer), *session_conditions(where)])
