"""The query planner: answers a read-only document with one SQL statement that builds the response
JSON in PostgreSQL, instead of resolving it object by object and field by field.

How a request goes (`QueryPlanner.answer`):
1. The document is planned once per (text, operation name) and the plan cached: parsed, validated,
   then walked (`selection.py`) against the catalog of fields the planner knows (`catalog.py`) and
   the root fields it answers (`roots.py`). A document that asks for anything else, a signed URL,
   a statistic, a mutation, a directive, is marked unplannable and always goes to the resolvers.
2. Per request, the same checks as the resolver path run first (document limits, authentication,
   cost with these variables); variables and arguments are coerced by graphql-core and Strawberry as
   for a resolver, and checked by `schema.input_checks`. Whatever any of these refuses, or whatever
   fails while building the statement (a bad filter value), goes to the resolver path, which
   answers it with its usual error: the planner never writes an error of its own.
3. `sql.py` turns the plan and the arguments into one statement; the root rows come from the same
   filter compilers and orders as the resolvers' (visibility stays in SQL), so both paths answer
   the same rows. Its result is the text of `data`, sent as is.

`tests/test_planner.py` runs documents through both paths and compares the answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache
from graphql import GraphQLError, GraphQLField, OperationDefinitionNode, validate
from graphql.execution.values import get_argument_values, get_variable_values
from sqlalchemy import Dialect, Select
from strawberry.types import ExecutionResult
from strawberry.types.arguments import convert_arguments

from gateway.auth import Viewer
from gateway.errors import GatewayError
from gateway.limits.document import parse_document
from gateway.limits.extension import checked_document
from resolvers.filters.metadata_keys import indexed_keys
from resolvers.planner.prepared import (
    Parameters,
    PreparedStatement,
    parameterize,
    prepare,
    viewer_parameters,
    viewer_shape,
)
from resolvers.planner.roots import QUERY_TYPENAME
from resolvers.planner.selection import RootSelection, Unplannable, plan_operation
from resolvers.planner.signed import complete_signed_values
from resolvers.planner.sql import data_statement, root_json, selection_json
from schema.extensions import coded_error
from schema.input_checks import check_arguments

if TYPE_CHECKING:
    import strawberry

    from gateway.context import RequestContext
    from gateway.settings import Settings
    from resolvers.signed_urls import SigningContext

log = logging.getLogger("labelgate.planner")

PLAN_CACHE_SIZE = 512
ARGUMENT_CACHE_SIZE = 1024
PREPARED_CACHE_SIZE = 1024
MISSING = object()
MAX_CACHED_ARGUMENTS_LENGTH = 4096


@dataclass(frozen=True, eq=False)  # hashed by identity: a key of the prepared statements' cache
class Plan:
    operation: OperationDefinitionNode
    roots: list[RootSelection]
    values: list[Any]  # sql.selection_json of each root: built once, used by every request
    signs: bool  # some value needs Python once the statement has run (catalog.Signed)


class PlannedQueryFailed(Exception):
    """The planned statement failed (PostgreSQL cancelled it, the database went away, a bug): `error`
    is the GraphQL error the resolvers would have raised, on the first root field, to be coded and
    masked like theirs (`schema.extensions.coded_errors`). Not retried through the resolvers: what
    made it fail (a lock, an outage) would most likely make them wait and fail too."""

    def __init__(self, plan: Plan, cause: Exception) -> None:
        root = plan.roots[0]
        super().__init__(str(cause))
        self.error = GraphQLError(str(cause), nodes=[root.node], path=[root.key], original_error=cause)

    def result(self, request_id: str | None) -> ExecutionResult:
        """The request's result: this error on its root field, coded as a resolver's."""
        return ExecutionResult(data=None, errors=[coded_error(self.error, request_id)])


class QueryPlanner:
    """Plans and answers documents for one schema (see the module docstring)."""

    def __init__(self, schema: strawberry.Schema, settings: Settings) -> None:
        self._schema = schema
        self._settings = settings
        # Bounded: documents, filters and shapes are the clients' to vary.
        self._plans: LRUCache[tuple[str, str | None], Plan | None] = LRUCache(PLAN_CACHE_SIZE)
        self._arguments: LRUCache[tuple[int, str], dict[str, Any]] = LRUCache(ARGUMENT_CACHE_SIZE)
        self._prepared: LRUCache[tuple[Any, ...], PreparedStatement | None] = LRUCache(PREPARED_CACHE_SIZE)

    def plan(self, query: str, operation_name: str | None) -> Plan | None:
        """The cached plan of a document, or None when the resolvers must answer it."""
        key = (query, operation_name)
        plan = self._plans.get(key, MISSING)
        if plan is MISSING:
            plan = self._plans[key] = self._make_plan(query, operation_name)
        return plan

    def known_unplannable(self, query: str, operation_name: str | None) -> bool:
        """True for a document already planned and found unplannable (every mutation)."""
        return self._plans.get((query, operation_name), MISSING) is None

    def _make_plan(self, query: str, operation_name: str | None) -> Plan | None:
        settings = self._settings
        try:
            document = parse_document(query, settings.max_tokens, settings.max_depth)
        except (GraphQLError, GatewayError):
            return None
        if validate(self._schema._schema, document):
            return None
        try:
            operation, roots = plan_operation(document, operation_name)
        except Unplannable as reason:
            log.debug("not planned (%s)", reason)
            return None
        signs = any(root.selection is not None and root.selection.signs for root in roots)
        return Plan(operation, roots, [selection_json(root) for root in roots], signs)

    async def answer(
        self, ctx: RequestContext, query: str | None, operation_name: str | None, variables: dict[str, Any] | None
    ) -> str | None:
        """The answer's JSON text, or None when the resolvers must answer (see the module docstring);
        raises `PlannedQueryFailed` when the planned statement fails."""
        if not isinstance(ctx.auth, Viewer):
            return None
        planned = self.statement_for(ctx.auth, ctx.db.bind.dialect, query, operation_name, variables)
        if planned is None:
            return None
        try:
            data = (await ctx.execute(planned.statement, planned.parameters)).scalar_one()
        except Exception as exc:
            raise PlannedQueryFailed(planned.plan, exc) from exc
        return completed_answer(planned.plan, data, ctx)

    def statement_for(
        self,
        viewer: Viewer,
        dialect: Dialect,
        query: str | None,
        operation_name: str | None,
        variables: dict[str, Any] | None,
    ) -> PlannedStatement | None:
        """The statement answering the document for `viewer`, or None when the resolvers must answer;
        raises `PlannedQueryFailed` when building it fails unexpectedly."""
        if query is None:
            return None
        if self.known_unplannable(query, operation_name):
            return None  # the resolvers check its limits, once
        try:
            # The limits first: a document over them is never walked (fragment chains expand).
            checked_document(query, operation_name, variables, viewer, self._schema._schema, self._settings)
        except (GatewayError, GraphQLError):
            return None
        plan = self.plan(query, operation_name)
        if plan is None:
            return None
        try:
            return self._statement(viewer, dialect, plan, variables)
        except (GatewayError, GraphQLError):
            return None
        except Exception as exc:
            raise PlannedQueryFailed(plan, exc) from exc

    def _python_arguments(self, field: GraphQLField, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments as the resolver receives them (Strawberry input objects, by Python name).
        Strawberry's conversion inspects type annotations on every call (a tenth of a planned page's
        CPU); clients send the same filters again and again, so conversions are kept, keyed by the
        coerced values' repr (dicts in schema order, enums, strings: unambiguous). The filter
        compilers only read these objects."""
        key = (id(field), repr(arguments))
        converted = self._arguments.get(key)
        if converted is None:
            definition = field.extensions["strawberry-definition"]
            converted = convert_arguments(
                arguments,
                definition.arguments,
                scalar_registry=self._schema.schema_converter.scalar_registry,
                config=self._schema.config,
            )
            if len(key[1]) <= MAX_CACHED_ARGUMENTS_LENGTH:  # a long id list is not worth the memory
                self._arguments[key] = converted
        return converted

    def _statement(
        self, viewer: Viewer, dialect: Dialect, plan: Plan, variables: dict[str, Any] | None
    ) -> PlannedStatement:
        """The statement answering `plan` for this request, and its parameter values: a prepared
        one when this shape of request was seen before (`prepared.py`)."""
        graphql_schema = self._schema._schema
        coerced = get_variable_values(graphql_schema, plan.operation.variable_definitions or (), variables or {})
        if isinstance(coerced, list):
            raise coerced[0]
        query_type = graphql_schema.query_type
        assert query_type is not None
        fields: list[GraphQLField | None] = []
        arguments: list[dict[str, Any]] = []
        for root in plan.roots:
            field = None if root.root is QUERY_TYPENAME else query_type.fields[root.node.name.value]
            fields.append(field)
            arguments.append({} if field is None else get_argument_values(field, root.node, coerced))
            check_arguments(arguments[-1], self._settings.max_list_length)

        def build(viewer: Viewer, arguments: list[dict[str, Any]]) -> Select:
            values = []
            for root, value, field, field_arguments in zip(plan.roots, plan.values, fields, arguments, strict=True):
                python_arguments = {} if field is None else self._python_arguments(field, field_arguments)
                values.append(root_json(root, root.root.rows(viewer, python_arguments), value))
            return data_statement(plan.roots, values)

        parameters = Parameters([], [])
        shaped_viewer = viewer_parameters(viewer, parameters)
        shaped = [parameterize(field_arguments, parameters) for field_arguments in arguments]
        # The indexed metadata keys change what the filter compilers write (generated columns).
        key = (plan, viewer_shape(viewer), tuple(indexed_keys.get().items()), repr(shaped))
        prepared = self._prepared.get(key, MISSING)
        if prepared is MISSING:
            prepared = prepare(lambda: build(shaped_viewer, shaped), parameters, dialect)
            if len(key[-1]) <= MAX_CACHED_ARGUMENTS_LENGTH:
                self._prepared[key] = prepared
        if prepared is None:  # this shape cannot be prepared: built with this request's values
            return PlannedStatement(plan, build(viewer, arguments), {}, None)
        values = parameters.values
        driver = None if prepared.driver is None else (prepared.driver.sql, prepared.driver.arguments(values))
        return PlannedStatement(plan, prepared.statement, prepared.parameters(values), driver)


@dataclass(frozen=True)
class PlannedStatement:
    """What answers one planned request: the statement and its parameter values for SQLAlchemy, and
    (for prepared shapes) the same as SQL text and positional arguments for asyncpg."""

    plan: Plan
    statement: Select
    parameters: dict[str, Any]
    driver: tuple[str, list[Any]] | None


def completed_answer(plan: Plan, data: str | None, signing: SigningContext) -> str | None:
    """The response's JSON text around the statement's `data`, signed URLs made; None when the
    statement found nothing to answer with (the resolvers answer then)."""
    if data is None:
        return None
    if plan.signs:
        data = complete_signed_values(signing, data)
    return '{"data":' + data + "}"
