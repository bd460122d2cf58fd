"""The root Query type: the fields of every domain module."""

import strawberry

from schema.legacy import LegacyQueries
from schema.queries.asset_imports import AssetImportQueries
from schema.queries.assets import AssetQueries
from schema.queries.issues import IssueQueries
from schema.queries.labels import LabelQueries
from schema.queries.projects import ProjectQueries
from schema.queries.session_events import SessionEventQueries
from schema.queries.sessions import SessionQueries
from schema.queries.sets import SetQueries
from schema.queries.stats import StatsQueries
from schema.queries.users import UserQueries


@strawberry.type(description="Everything labelgate serves. Lists take `where`, `first` and `skip`; each has a count.")
class Query(
    UserQueries,
    ProjectQueries,
    AssetQueries,
    AssetImportQueries,
    LabelQueries,
    IssueQueries,
    SetQueries,
    StatsQueries,
    SessionQueries,
    SessionEventQueries,
    LegacyQueries,
):
    pass
