"""The root Mutation type: the fields of every domain module."""

import strawberry

from schema.legacy import LegacyMutations
from schema.mutations.assets import AssetMutations
from schema.mutations.curation import CurationMutations
from schema.mutations.issues import IssueMutations
from schema.mutations.labels import LabelMutations
from schema.mutations.projects import ProjectMutations
from schema.mutations.queue import QueueMutations
from schema.mutations.session_events import SessionEventMutations
from schema.mutations.sessions import SessionMutations
from schema.mutations.sets import SetMutations
from schema.mutations.workflow import WorkflowMutations


@strawberry.type(description="Changes. Each mutation is one transaction: it writes all or nothing.")
class Mutation(
    ProjectMutations,
    AssetMutations,
    WorkflowMutations,
    QueueMutations,
    LabelMutations,
    IssueMutations,
    SetMutations,
    SessionEventMutations,
    SessionMutations,
    CurationMutations,
    LegacyMutations,
):
    pass
