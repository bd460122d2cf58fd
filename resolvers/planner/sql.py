"""A planned selection as one SQL statement that returns the response's `data` as JSON text.

Each object is a `json_build_object` of its response keys; each relation a correlated subquery
(`json_agg` in the resolver's order for lists), so a page of assets with their labels and authors is
one statement whatever its size, and PostgreSQL, not Python, builds the JSON. Key order follows the
document, as GraphQL requires (json, not jsonb, keeps it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, Text, case, cast, func, literal_column, null, or_, select

from resolvers.planner.catalog import Embedded, Relation, Signed, Value, ordered_json_agg
from resolvers.planner.roots import Shape
from resolvers.planner.selection import RootSelection, Selection


def _key(name: str) -> ColumnElement[Any]:
    # GraphQL names are [_A-Za-z][_0-9A-Za-z]*: safe inside a SQL string literal.
    return literal_column(f"'{name}'")


def object_json(selection: Selection, row: FromClause) -> ColumnElement[Any]:
    """The JSON object of `selection` for the row(s) of `row`."""
    arguments: list[Any] = []
    for key, spec, child in selection.entries:
        arguments.append(_key(key))
        if isinstance(spec, str):
            arguments.append(_key(spec))  # __typename
        elif isinstance(spec, Value):
            arguments.append(spec.sql(row))
        elif isinstance(spec, Signed):
            ours = func.coalesce(row.c.storage_key, "") != ""
            arguments.append(
                case((ours, func.json_build_object(_key(spec.marker), row.c.storage_key)), else_=spec.external(row))
            )
        elif isinstance(spec, Embedded):
            assert child is not None
            arguments.append(case((spec.present(row), object_json(child, row)), else_=null()))
        else:
            assert child is not None
            arguments.append(_relation_json(spec, child, row))
    return func.json_build_object(*arguments)


def _relation_json(relation: Relation, selection: Selection, outer: FromClause) -> ColumnElement[Any]:
    inner = relation.table.alias()
    value = object_json(selection, inner)
    order = relation.order(inner)
    # Correlated explicitly: SQLAlchemy's automatic correlation looks one level up only.
    if relation.many:
        statement = select(ordered_json_agg(value, order)).where(relation.join(outer, inner))
    else:
        statement = select(value).where(relation.join(outer, inner)).order_by(*order).limit(1)
    return statement.correlate(outer).scalar_subquery()


def selection_json(root: RootSelection) -> ColumnElement[Any] | None:
    """The JSON of one row of a root field, over the root's table: it depends on the document only,
    so a plan builds it once (`root_json` puts it over each request's rows)."""
    if root.selection is None:
        return None
    return object_json(root.selection, root.root.table)


def root_json(root: RootSelection, rows: Select, value: ColumnElement[Any] | None) -> ColumnElement[Any]:
    """The value of one root field: `value` (from `selection_json`) over the rows of the statement
    `root.root.rows` built."""
    if root.root.shape is Shape.SCALAR:
        return rows.scalar_subquery()
    # The root's rows are found by id first, then read from the table itself: the JSON is built for
    # the page's rows only, and the table's own columns need no subquery proxies (building those
    # cost more than the rest of a one-asset request).
    page = rows.subquery()
    table = root.root.table
    assert value is not None
    source = page.join(table, table.c.id == page.c.id)
    if root.root.shape is Shape.LIST:
        return select(ordered_json_agg(value, [page.c._n])).select_from(source).scalar_subquery()
    return select(value).select_from(source).limit(1).scalar_subquery()


def data_statement(roots: list[RootSelection], values: list[ColumnElement[Any]]) -> Select:
    """`SELECT data::text`: the `data` object of the answer, or NULL when a single-object root found
    nothing (the resolvers then answer with their NOT_FOUND error)."""
    fields = select(*(value.label(f"r{i}") for i, value in enumerate(values))).subquery()
    data = func.json_build_object(
        *(part for i, root in enumerate(roots) for part in (_key(root.key), fields.c[f"r{i}"]))
    )
    missing = [fields.c[f"r{i}"].is_(None) for i, root in enumerate(roots) if root.root.shape is Shape.ONE]
    text = cast(data, Text)
    if missing:
        text = case((or_(*missing), null()), else_=text)
    return select(text).select_from(fields)
