"""Arguments shared by every list and count field (root lists, counts, connections and relations such
as `Set.assets`), and their defaults: the one place that says what an omitted argument means.

`first` is a PageSize; `skip` stays an `Int`, which is what the Kili SDK declares (`$skip: Int!`): its
rule (0 or more) is enforced for every field at once by schema/input_checks.py.

Defaults, so that `{ countProjects }` and `{ assets { id } }` are whole documents:
- `where` defaults to `{}`: everything the viewer may see (each module declares `where: Where = ALL`
  with `ALL = everything(ItsWhere)`);
- `first` defaults to the largest page (`first: First = FIRST_DEFAULT`);
- `skip` defaults to 0 (`skip: Skip = SKIP_DEFAULT`).
Each stays non-null (`where: AssetWhere! = {}`): a variable declared `$where: AssetWhere!` or
`$first: PageSize!`, as both Kili SDK generations send, still fits, and `null` is still refused.

The largest page is a setting (LABELGATE_MAX_PAGE_SIZE), while a default in the schema is a constant:
`FIRST_DEFAULT` is the setting's own default (100), and `set_first_defaults`, called by
schema/build.py, replaces it with the configured maximum in the schema a server builds, so its
introspection, its SDL hash and every omitted `first` agree with the PageSize limit it enforces.
"""

from __future__ import annotations

from typing import Annotated, Final, TypeVar

import strawberry
from graphql import GraphQLObjectType, GraphQLSchema, Undefined, get_named_type

from gateway.settings import Settings
from schema.scalars import PageSize

First = Annotated[
    PageSize, strawberry.argument(description="Page size, at most 100; omitted: the largest page (the default).")
]
Skip = Annotated[int, strawberry.argument(description="Rows to skip (0 or more), in the list's stable order.")]
After = Annotated[
    str | None,
    strawberry.argument(description="Cursor from `pageInfo.endCursor` of the previous page; omit for the first page."),
]

FIRST_DEFAULT: Final = PageSize(Settings.model_fields["max_page_size"].default)
SKIP_DEFAULT: Final = 0

W = TypeVar("W")


def everything(where_type: type[W]) -> W:
    """The default `where` of a list or count: no condition, so all the viewer may see (`{}`).
    Strawberry only uses it to write the schema's default: each request gets its own object."""
    return where_type()


def set_first_defaults(schema: GraphQLSchema, max_page_size: int) -> None:
    """Makes every defaulted `first` (a PageSize) default to `max_page_size`, the largest page this
    server serves. A `first` without a default (`assetsConnection`'s, which pages one way or the other)
    keeps none."""
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for field in named.fields.values():
            argument = field.args.get("first")
            if (
                argument is not None
                and get_named_type(argument.type).name == "PageSize"
                and argument.default_value not in (None, Undefined)
            ):
                argument.default_value = max_page_size
