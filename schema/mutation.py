"""The root Mutation type: the fields of every domain module."""

import strawberry

from schema.mutations.projects import ProjectMutations


@strawberry.type(description="Changes. Each mutation is one transaction: it writes all or nothing.")
class Mutation(ProjectMutations):
    pass
