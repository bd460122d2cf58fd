"""Root mutation fields that write sets (capability map §3 R1); the logic is in resolvers/set_writes.py."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import set_writes
from resolvers.roles import described
from schema.inputs.set_data import CreateSetData, UpdateSetData
from schema.inputs.where import AssetWhere
from schema.mutations.workflow import outcome_of
from schema.types.outcome import AssetActionOutcome
from schema.types.set import Set

SetId = Annotated[strawberry.ID, strawberry.argument(description="The set.")]
Seed = Annotated[
    int, strawberry.argument(description="Seed of the pseudo-random order: the same seed gives the same result.")
]


@strawberry.type
class SetMutations:
    @strawberry.mutation(description=described("createSet", "Creates a set in a project (SceneBox `create_set`)."))
    async def create_set(
        self, info: strawberry.Info, data: Annotated[CreateSetData, strawberry.argument(description="The new set.")]
    ) -> Set:
        return Set.from_row(await set_writes.create_set(info.context, data))

    @strawberry.mutation(description=described("updateSet", "Changes a set's name, description, tags or aux metadata."))
    async def update_set(
        self,
        info: strawberry.Info,
        id: SetId,
        data: Annotated[UpdateSetData, strawberry.argument(description="The changes.")],
    ) -> Set:
        return Set.from_row(await set_writes.update_set(info.context, str(id), data))

    @strawberry.mutation(
        description=described(
            "addAssetsToSet",
            "Adds the matched assets of the set's project to the set (SceneBox `add_assets_to_set`: `idIn` for ids, "
            "any other condition for a search). Members already there stay, with their `addedAt`, and succeed; "
            "matched assets of other projects, and named ids not matched, are declined. LOCKED on a locked set.",
        )
    )
    async def add_assets_to_set(
        self,
        info: strawberry.Info,
        set_id: SetId,
        where: Annotated[AssetWhere, strawberry.argument(description="Which assets; at least one condition.")],
        limit: Annotated[
            int | None,
            strawberry.argument(description="Add at most this many, a pseudo-random sample fixed by `seed`."),
        ] = None,
        seed: Seed = 42,
    ) -> AssetActionOutcome:
        return outcome_of(await set_writes.add_assets_to_set(info.context, str(set_id), where, limit, seed))

    @strawberry.mutation(
        description=described(
            "removeAssetsFromSet",
            "Removes the matched members from the set (SceneBox `remove_assets_from_set`); the assets stay. "
            "Named ids that were not members are declined. LOCKED on a locked set.",
        )
    )
    async def remove_assets_from_set(
        self,
        info: strawberry.Info,
        set_id: SetId,
        where: Annotated[AssetWhere, strawberry.argument(description="Which members; at least one condition.")],
    ) -> AssetActionOutcome:
        return outcome_of(await set_writes.remove_assets_from_set(info.context, str(set_id), where))

    @strawberry.mutation(
        description=described("lockSet", "Locks the set's membership (SceneBox `set_lock`); idempotent.")
    )
    async def lock_set(self, info: strawberry.Info, id: SetId) -> Set:
        return Set.from_row(await set_writes.set_locked(info.context, str(id), True))

    @strawberry.mutation(
        description=described("unlockSet", "Unlocks the set's membership (SceneBox `set_unlock`); idempotent.")
    )
    async def unlock_set(self, info: strawberry.Info, id: SetId) -> Set:
        return Set.from_row(await set_writes.set_locked(info.context, str(id), False))

    @strawberry.mutation(
        description=described(
            "splitSet",
            "Splits the set's members into new subsets (SceneBox `split_set`), pseudo-randomly for `seed`, by "
            "`sections` (equal sizes, the first n % k one larger) or `fractions` (floor(fᵢ·n) each, the leftovers "
            "one at a time to the first subsets). Subsets get `originSetId`; the set is unchanged. LOCKED on a "
            "locked set; a subset name already used in the project is a CONFLICT.",
        )
    )
    async def split_set(
        self,
        info: strawberry.Info,
        id: SetId,
        sections: Annotated[
            int | None, strawberry.argument(description="Split into this many equal subsets (2 or more).")
        ] = None,
        fractions: Annotated[
            list[float] | None,
            strawberry.argument(description="The fraction of the members in each subset, each in (0, 1], sum ≤ 1."),
        ] = None,
        names: Annotated[
            list[str] | None,
            strawberry.argument(description='Subset names, one per subset; default "<name>/split-<i>".'),
        ] = None,
        seed: Seed = 42,
    ) -> list[Set]:
        args = set_writes.SplitArgs(sections=sections, fractions=fractions, names=names, seed=seed)
        return [Set.from_row(row) for row in await set_writes.split_set(info.context, str(id), args)]

    @strawberry.mutation(
        description=described(
            "deleteSet",
            "Deletes the set (SceneBox `delete_set`). With `deleteContent`, its member assets are deleted as "
            "deleteAssets deletes them and listed as succeeded; otherwise the assets stay and the outcome is empty. "
            "LOCKED on a locked set.",
        )
    )
    async def delete_set(
        self,
        info: strawberry.Info,
        id: SetId,
        delete_content: Annotated[
            bool, strawberry.argument(description="Also delete the member assets (as deleteAssets).")
        ] = False,
    ) -> AssetActionOutcome:
        return outcome_of(await set_writes.delete_set(info.context, str(id), delete_content))
