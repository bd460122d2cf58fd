"""Root fields under the names of the Kili SDK 2.159–2.164 generation, which teams still pin.

Each is another name of a field labelgate serves (`me` = `viewer`; `appendManyFramesToDatasetAsynchronously`
= `appendManyAssetsAsynchronously`; the three workflow mutations run the same state machine as
`addAssetsToReview`, `sendAssetsBackToQueue` and `deleteAssets`, see resolvers/kili_legacy.py); only
the names, and the answer of the workflow mutations, have that generation's shape.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.db import models
from resolvers import kili_legacy, notifications, users
from resolvers.roles import described
from schema.inputs.data import AppendManyAssetsAsynchronouslyData
from schema.inputs.where import ProjectWhere
from schema.mutations.workflow import Where
from schema.types.notification import Notification
from schema.types.project import Project
from schema.types.user import User

_ANSWER = (
    " Answers the project of the assets it changed, or null when it changed none; when they span several "
    "projects, the project of the changed asset `idIn` names last (the one the 2.16x SDK then checks)."
)


def _project(row: models.Project | None) -> Project | None:
    return None if row is None else Project.from_row(row)


@strawberry.input(
    description=(
        "The Kili 2.16x name of `AppendManyAssetsAsynchronouslyData`: the same parallel arrays, imported "
        "synchronously, exactly as appendManyAssets."
    )
)
class AppendManyFramesToDatasetAsynchronouslyData(AppendManyAssetsAsynchronouslyData):
    pass


@strawberry.type
class LegacyQueries:
    @strawberry.field(description="The Kili 2.16x name of `viewer`: the user the API key belongs to.")
    async def me(self, info: strawberry.Info) -> User:
        return User.from_row(await users.viewer_user(info.context))


@strawberry.type
class LegacyMutations:
    @strawberry.mutation(
        description=described(
            "appendManyFramesToDatasetAsynchronously",
            "The Kili 2.16x name of `appendManyAssetsAsynchronously` (its import of TIFF/JP2/NITF files, big "
            "images and videos): appends the assets synchronously, all or nothing, and returns the viewer's "
            "notification of the import, already SUCCESS.",
        )
    )
    async def append_many_frames_to_dataset_asynchronously(
        self,
        info: strawberry.Info,
        data: Annotated[
            AppendManyFramesToDatasetAsynchronouslyData,
            strawberry.argument(description="The assets, as parallel arrays."),
        ],
        where: Annotated[ProjectWhere, strawberry.argument(description="The project: must match exactly one.")],
    ) -> Notification:
        return Notification.from_row(await notifications.append_many_assets_asynchronously(info.context, data, where))

    @strawberry.mutation(
        description=described(
            "addAllLabeledAssetsToReview",
            "The Kili 2.16x name of `addAssetsToReview`: LABELED and REVIEWED assets go TO_REVIEW, the others "
            "are left as they are." + _ANSWER,
        )
    )
    async def add_all_labeled_assets_to_review(self, info: strawberry.Info, where: Where) -> Project | None:
        return _project(await kili_legacy.add_all_labeled_assets_to_review(info.context, where))

    @strawberry.mutation(
        description=described(
            "sendBackAssetsToQueue",
            "The Kili 2.16x name of `sendAssetsBackToQueue`: LABELED, TO_REVIEW and REVIEWED assets go back to "
            "ONGOING, the others are left as they are." + _ANSWER,
        )
    )
    async def send_back_assets_to_queue(self, info: strawberry.Info, where: Where) -> Project | None:
        return _project(await kili_legacy.send_back_assets_to_queue(info.context, where))

    @strawberry.mutation(
        description=described(
            "deleteManyFromDataset",
            "The Kili 2.16x name of `deleteAssets`: deletes the matched assets with their labels, set memberships "
            "and assignees." + _ANSWER,
        )
    )
    async def delete_many_from_dataset(self, info: strawberry.Info, where: Where) -> Project | None:
        return _project(await kili_legacy.delete_many_from_dataset(info.context, where))
