"""Authorization as a filter: the projects a viewer may see, as one SQL subquery.

Organization admins see every project of their organization; everybody sees the projects they
are a member of. Every list, count and loader intersects its rows with this subquery, so there
is no code path that returns a row first and checks access afterwards.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, or_, select

from gateway.auth import Viewer
from gateway.db.models import Project, ProjectMember


def visible_project_ids(viewer: Viewer) -> Select:
    member_of = select(ProjectMember.project_id).where(ProjectMember.user_id == viewer.user_id)
    if not viewer.is_org_admin:
        return member_of
    return select(Project.id).where(or_(Project.organization_id == viewer.organization_id, Project.id.in_(member_of)))


def project_visible(project_id_column: ColumnElement, viewer: Viewer) -> ColumnElement[bool]:
    """`project_id_column IN (projects the viewer may see)`."""
    return project_id_column.in_(visible_project_ids(viewer))
