"""The root Query type: the fields of every domain module."""

import strawberry

from schema.queries.projects import ProjectQueries
from schema.queries.users import UserQueries


@strawberry.type(description="Everything labelgate serves. Lists take `where`, `first` and `skip`; each has a count.")
class Query(UserQueries, ProjectQueries):
    pass
