"""IssueWhere → SQL: one boolean expression over `issue`, with the viewer's visibility folded in.

The same conditions serve the root lists (`issues`, `countIssues`, `issuesConnection`), the update
(`updatePropertiesInIssue`) and the asset filter `AssetWhere.issue` (`having_issue`), so an asset
matches `issue: {...}` exactly when `issues(where: {..., asset: {id}})` would list one of its issues.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, select

from gateway.auth import Viewer
from gateway.db.models import Asset, Issue
from resolvers.filters.asset_where import Conditions, asset_conditions, has_conditions, in_projects
from resolvers.filters.common import all_of, in_list
from resolvers.visibility import project_visible
from schema.inputs.where import IssueWhere


def compile_issue_where(where: IssueWhere | None, viewer: Viewer) -> ColumnElement[bool]:
    """The issues matching `where` among those the viewer may see (the issues of visible projects)."""
    return all_of([project_visible(Issue.project_id, viewer), *issue_conditions(where)])


def issue_conditions(where: IssueWhere | None) -> Conditions:
    """The conditions of `where` alone, without visibility (for use inside other filters)."""
    if where is None:
        return []
    on_assets = None
    nested = asset_conditions(where.asset)
    if has_conditions(nested):
        on_assets = Issue.asset_id.in_(select(Asset.id).where(all_of(nested)).correlate(None))
    return [
        Issue.id == where.id if where.id is not None else None,
        in_projects(Issue.project_id, where.project),
        on_assets,
        in_list(Issue.asset_id, where.asset_in),
        Issue.status == where.status.value if where.status is not None else None,
        Issue.issue_type == where.type.value if where.type is not None else None,
    ]


def having_issue(where: IssueWhere | None) -> ColumnElement[bool] | None:
    """For AssetWhere.issue: EXISTS an issue of the asset matching `where` (served by the index on
    issue(asset_id, created_at, id)); None when `where` sets no condition, as the Kili SDK's
    `issue: {type: null, status: null}` does."""
    conditions = issue_conditions(where)
    if not has_conditions(conditions):
        return None
    return exists(select(Issue.id).where(Issue.asset_id == Asset.id, all_of(conditions)).correlate(Asset))
