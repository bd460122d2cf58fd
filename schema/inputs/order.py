"""Sort orders of lists (`orderBy`)."""

from __future__ import annotations

from enum import Enum

import strawberry

V = strawberry.enum_value


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = V("ASC", description="Smallest first (oldest, lowest, A to Z).")
    DESC = V("DESC", description="Largest first (newest, highest, Z to A).")


@strawberry.enum(description="What assets can be sorted by.")
class AssetOrderField(Enum):
    CREATED_AT = V("CREATED_AT", description="Creation time (the default order).")
    UPDATED_AT = V("UPDATED_AT", description="Last update time.")
    TIMESTAMP = V("TIMESTAMP", description="Capture time on the session's timeline; assets without one come last.")
    PRIORITY = V("PRIORITY", description="Labeling priority.")
    EXTERNAL_ID = V("EXTERNAL_ID", description="External id, in the database's text order.")
    METADATA = V(
        "METADATA",
        description="The value at `metadataKey` (dotted keys reach nested objects), in jsonb order: null < "
        "strings < numbers < booleans < arrays < objects, numbers numerically. Assets without the key come last.",
    )


@strawberry.input(
    description=(
        "One sort key. Keys apply in the order given; the asset id always breaks the remaining ties, in the "
        "direction of the last key. Missing values (no timestamp, no such metadata key) come last in both "
        "directions."
    )
)
class AssetOrderBy:
    field: AssetOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="ASC (default) or DESC.")
    metadata_key: str | None = strawberry.field(
        default=None,
        description="With field METADATA (and only then): the metadata key, e.g. `speed` or `camera.position.x`.",
    )
