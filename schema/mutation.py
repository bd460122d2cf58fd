"""The root Mutation type: the fields of every domain module."""

import strawberry

from schema.legacy import LegacyMutations
from schema.mutations.assets import AssetMutations
from schema.mutations.labels import LabelMutations
from schema.mutations.projects import ProjectMutations
from schema.mutations.workflow import WorkflowMutations


@strawberry.type(description="Changes. Each mutation is one transaction: it writes all or nothing.")
class Mutation(ProjectMutations, AssetMutations, WorkflowMutations, LabelMutations, LegacyMutations):
    pass
