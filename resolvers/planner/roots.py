"""The root fields the planner answers, each built from the same filter compilers, orders and page
rules as its resolver (resolvers/assets.py, labels.py, projects.py), so both paths select the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Select, func, literal_column, select

from gateway.auth import Viewer
from gateway.db.models import Asset, Label, Project
from resolvers.asset_order import asset_ordering
from resolvers.filters.asset_where import compile_asset_where
from resolvers.filters.label_where import compile_label_where
from resolvers.filters.project_where import compile_project_where
from resolvers.paging import creation_order, numbered_offset_rows

ASSET, LABEL, PROJECT = Asset.__table__, Label.__table__, Project.__table__


class Shape(Enum):
    LIST = "list"  # rows numbered `_n` in list order: a JSON array
    ONE = "one"  # at most one row: an object, or null (the resolver then answers NOT_FOUND)
    SCALAR = "scalar"  # one value


@dataclass(frozen=True)
class Root:
    """`rows(viewer, arguments)`: the statement whose rows (LIST, ONE: the ids of `table`'s rows) or
    value (SCALAR) answer the field; `arguments` are the resolver's, by Python name."""

    type_name: str | None
    shape: Shape
    rows: Callable[[Viewer, dict[str, Any]], Select]
    table: Any = None


def _assets(viewer: Viewer, args: dict[str, Any]) -> Select:
    statement = select(ASSET.c.id).where(compile_asset_where(args["where"], viewer))
    return numbered_offset_rows(statement, asset_ordering(args.get("order_by")), args["first"], args["skip"])


def _asset(viewer: Viewer, args: dict[str, Any]) -> Select:
    return select(ASSET.c.id).where(ASSET.c.id == args["id"], compile_asset_where(None, viewer))


def _labels(viewer: Viewer, args: dict[str, Any]) -> Select:
    statement = select(LABEL.c.id).where(compile_label_where(args["where"], viewer))
    return numbered_offset_rows(statement, creation_order(LABEL.c.created_at, LABEL.c.id), args["first"], args["skip"])


def _projects(viewer: Viewer, args: dict[str, Any]) -> Select:
    statement = select(PROJECT.c.id).where(compile_project_where(args["where"], viewer))
    return numbered_offset_rows(
        statement, creation_order(PROJECT.c.created_at, PROJECT.c.id), args["first"], args["skip"]
    )


def _count(table: Any, compile_where: Callable[[Any, Viewer], Any]) -> Callable[[Viewer, dict[str, Any]], Select]:
    def count(viewer: Viewer, args: dict[str, Any]) -> Select:
        return select(func.count()).select_from(table).where(compile_where(args["where"], viewer))

    return count


# `__typename` at the root: the query type's name.
QUERY_TYPENAME = Root(None, Shape.SCALAR, lambda _viewer, _args: select(literal_column("'Query'")))

ROOTS: dict[str, Root] = {
    "assets": Root("Asset", Shape.LIST, _assets, ASSET),
    "asset": Root("Asset", Shape.ONE, _asset, ASSET),
    "labels": Root("Label", Shape.LIST, _labels, LABEL),
    "projects": Root("Project", Shape.LIST, _projects, PROJECT),
    "countAssets": Root(None, Shape.SCALAR, _count(ASSET, compile_asset_where)),
    "countLabels": Root(None, Shape.SCALAR, _count(LABEL, compile_label_where)),
    "countProjects": Root(None, Shape.SCALAR, _count(PROJECT, compile_project_where)),
}
