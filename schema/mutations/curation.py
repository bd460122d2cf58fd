"""Root mutation fields of curation in bulk (capability map §3 R6): metadata merges and key removal,
asset tags. The logic is in resolvers/metadata_writes.py and resolvers/asset_tags.py."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import asset_tags, metadata_writes
from resolvers.roles import described
from schema.enums import MetadataWriteMode
from schema.mutations.workflow import Where, outcome_of
from schema.scalars import JSON
from schema.types.outcome import AssetActionOutcome

Tags = Annotated[
    list[str],
    strawberry.argument(
        description=f"The tags (each 1 to {asset_tags.MAX_TAG_LENGTH} characters, at most "
        f"{asset_tags.MAX_TAGS_PER_CALL}; duplicates count once)."
    ),
]


@strawberry.type
class CurationMutations:
    @strawberry.mutation(
        description=described(
            "updateAssetsMetadata",
            "Writes metadata keys into every matched asset in one atomic UPDATE computed from each asset's current "
            "metadata, so concurrent writers of different keys lose none (SceneBox `update_by_query`, a server-side "
            "Kili `add_metadata`). MERGE keeps the keys not named; a dotted key ('camera.position.x') reaches into "
            "nested objects, creating them and keeping their other keys. Every matched asset is succeeded; what "
            "`where` names and the call did not act on is declined.",
        )
    )
    async def update_assets_metadata(
        self,
        info: strawberry.Info,
        where: Where,
        set: Annotated[
            JSON | None,
            strawberry.argument(
                description="Keys to write, `{key: value}`: a JSON object, or a JSON-encoded object string as in "
                "`jsonMetadata`. A value replaces what is at its key; dotted keys address nested objects."
            ),
        ] = None,
        unset: Annotated[
            list[str] | None,
            strawberry.argument(description="Keys to remove (dotted keys: nested ones); an absent key is no change."),
        ] = None,
        mode: Annotated[
            MetadataWriteMode, strawberry.argument(description="MERGE (the default) or REPLACE the whole object.")
        ] = MetadataWriteMode.MERGE,
        limit: Annotated[
            int | None,
            strawberry.argument(
                description="Write at most this many matched assets, a pseudo-random sample "
                "fixed by `seed` (as addAssetsToSet)."
            ),
        ] = None,
        seed: Annotated[
            int, strawberry.argument(description="Seed of the sample's pseudo-random order: same seed, same sample.")
        ] = 42,
    ) -> AssetActionOutcome:
        write = metadata_writes.parse_metadata_write(set, unset, mode.value)
        return outcome_of(await metadata_writes.update_assets_metadata(info.context, where, write, limit, seed))

    @strawberry.mutation(
        description=described(
            "removeMetadataKey",
            "Removes a metadata key from every asset of the project that has it (SceneBox "
            "`remove_key_from_index`); a dotted key removes a nested key. Answers how many assets changed.",
        )
    )
    async def remove_metadata_key(
        self,
        info: strawberry.Info,
        project_id: Annotated[strawberry.ID, strawberry.argument(description="The project.")],
        key: Annotated[str, strawberry.argument(description="The key, e.g. 'weather' or 'camera.id'.")],
    ) -> int:
        return await metadata_writes.remove_metadata_key(info.context, str(project_id), key)

    @strawberry.mutation(
        description=described(
            "addTagsToAssets",
            "Adds tags to every matched asset (Picsellia `add_tags`); an asset keeps each tag once, sorted. "
            "Idempotent: a tag already there changes nothing.",
        )
    )
    async def add_tags_to_assets(self, info: strawberry.Info, where: Where, tags: Tags) -> AssetActionOutcome:
        return outcome_of(await asset_tags.add_tags_to_assets(info.context, where, tags))

    @strawberry.mutation(
        description=described(
            "removeTagsFromAssets",
            "Removes tags from every matched asset (Picsellia `remove_tags`). Idempotent: a tag the asset does "
            "not have changes nothing.",
        )
    )
    async def remove_tags_from_assets(self, info: strawberry.Info, where: Where, tags: Tags) -> AssetActionOutcome:
        return outcome_of(await asset_tags.remove_tags_from_assets(info.context, where, tags))
