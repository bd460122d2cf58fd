"""The schema extension that applies the limits: it parses the document itself and refuses what goes
over a limit before graphql-core validates or executes anything."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from gateway.errors import GatewayError
from gateway.limits.cost import estimate_cost
from gateway.limits.document import (
    check_document_bytes,
    measure_document,
    only_introspection,
    parse_document,
    too_complex,
)
from gateway.settings import Settings, get_settings


def nothing_to_run(operation_name: str | None) -> DocumentNode:
    """`query <operation_name> { __typename }`: what Strawberry goes on with once a document is
    refused. Strawberry has no way for an extension to stop a request before parsing and validation,
    so a refused document is swapped for this one, which validates in microseconds, and the refusal
    becomes the request's only error (see `QueryLimits.on_validate`). It keeps the request's
    operation name, which Strawberry looks up before validating."""
    typename = FieldNode(name=NameNode(value="__typename"), arguments=(), directives=(), selection_set=None)
    operation = OperationDefinitionNode(
        operation=OperationType.QUERY,
        name=NameNode(value=operation_name) if operation_name else None,
        variable_definitions=(),
        directives=(),
        selection_set=SelectionSetNode(selections=(typename,)),
    )
    return DocumentNode(definitions=(operation,))


class QueryLimits(SchemaExtension):
    """Refuses, in this order and before anything else reads the request:
    1. a document over `max_document_bytes`, without parsing it;
    2. one over `max_tokens` tokens, as the parser reaches the limit;
    3. one deeper than `max_depth`, or with more than `max_aliases` aliases or `max_directives`
       directives (fragments expanded) — all `QUERY_TOO_COMPLEX`, whether or not a key was sent;
    4. without a valid API key, anything but introspection (`UNAUTHENTICATED`, once per request);
    5. a cost estimate over `max_cost` (`max_anonymous_cost` without a valid key): QUERY_TOO_COMPLEX.

    It also parses the document (with a cache, as Strawberry's ParserCache did). Register it after
    SchemaValidation: its `on_validate` must run after that one's (which sets the validation errors)."""

    def __init__(self, *, execution_context: ExecutionContext | None = None) -> None:
        super().__init__(execution_context=execution_context)
        self.refusal: GatewayError | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        settings: Settings = getattr(context.context, "settings", None) or get_settings()
        # For Strawberry's own parse of a document with a syntax error (see below).
        context.parse_options["max_tokens"] = settings.max_tokens
        if context.query is not None and context.graphql_document is None:
            try:
                context.graphql_document = self._checked_document(context.query, settings)
            except GraphQLSyntaxError:
                pass  # Strawberry parses it again, reports the syntax error, and stops there
            except GatewayError as refusal:
                self.refusal = refusal
                context.graphql_document = nothing_to_run(context.operation_name)
        yield

    def on_validate(self) -> Iterator[None]:
        if self.refusal is not None:
            self.execution_context.pre_execution_errors = [
                GraphQLError(self.refusal.message, original_error=self.refusal)
            ]
        yield

    def _checked_document(self, query: str, settings: Settings) -> DocumentNode:
        context = self.execution_context
        auth = getattr(context.context, "auth", None)
        return checked_document(
            query, context.operation_name, context.variables, auth, context.schema._schema, settings
        )


def checked_document(
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    auth: object,
    schema: GraphQLSchema,
    settings: Settings,
) -> DocumentNode:
    """The parsed document (cached), or the GatewayError that refuses it (see `QueryLimits`); `auth`
    is the request's viewer, or the GatewayError that says why it has none."""
    check_document_bytes(query, settings.max_document_bytes)
    document = parse_document(query, settings.max_tokens, settings.max_depth)
    shape = measure_document(document)
    for limit, value, maximum, what in (
        ("depth", shape.depth, settings.max_depth, "levels of fields"),
        ("aliases", shape.aliases, settings.max_aliases, "aliases"),
        ("directives", shape.directives, settings.max_directives, "directives"),
    ):
        if value > maximum:
            raise too_complex(
                limit, value, maximum, f"The document has {value} {what}; at most {maximum} are accepted."
            )
    anonymous = isinstance(auth, GatewayError)
    if anonymous and not only_introspection(shape.root_fields):
        raise auth
    budget = settings.max_anonymous_cost if anonymous else settings.max_cost
    cost = estimate_cost(schema, document, operation_name, variables, settings.max_page_size)
    if cost > budget:
        who = " without a valid API key" if anonymous else ""
        raise too_complex(
            "cost",
            cost,
            budget,
            f"The request's estimated cost is {cost}; at most {budget} is accepted{who}. "
            "Ask for smaller pages (`first`) or fewer nested lists.",
        )
    return document
