"""Root fields that prepare asset imports: deduplicating external ids, signed upload URLs."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import asset_append, uploads


@strawberry.type
class AssetImportQueries:
    @strawberry.field(
        description="The given external ids already used in the project (each once, in the given order), "
        "so clients can leave them out of appendManyAssets."
    )
    async def filter_existing_assets(
        self,
        info: strawberry.Info,
        project_id: Annotated[strawberry.ID, strawberry.argument(name="projectID", description="The project.")],
        external_ids: Annotated[
            list[str], strawberry.argument(name="externalIDs", description="External ids to look for.")
        ],
    ) -> list[str]:
        return await asset_append.filter_existing_assets(info.context, project_id, external_ids)

    @strawberry.field(
        description="One signed PUT URL per path, to upload asset bytes straight to labelgate's storage; then "
        "append assets whose content is the URL (or the path). Paths look like projects/<projectId>/<name>, "
        "in projects where the viewer is TEAM_MANAGER or above; at most 1000 per call."
    )
    async def create_upload_bucket_signed_urls(
        self,
        info: strawberry.Info,
        file_paths: Annotated[
            list[str] | None, strawberry.argument(description="Object keys to upload to (null: none).")
        ] = None,
    ) -> list[str]:
        return await uploads.create_upload_urls(info.context, file_paths)
