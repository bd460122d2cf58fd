"""Error codes and masking, validation without schema hints, and introspection that graphql-core
3.2 clients read."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    ValuesOfCorrectTypeRule,
    specified_rules,
    validate,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from gateway.db.unavailable import database_unavailable, database_unavailable_error
from gateway.deadline import statement_timeout_error
from gateway.errors import ErrorCode, GatewayError

log = logging.getLogger("labelgate.errors")

# Directive locations graphql-core 3.3 added; the Kili SDK builds its client schema with
# graphql-core 3.2, whose DirectiveLocation enum rejects them (wire-protocol trap 1).
_LOCATIONS_UNKNOWN_TO_GRAPHQL_CORE_3_2 = {"DIRECTIVE_DEFINITION", "FRAGMENT_VARIABLE_DEFINITION"}


def coded_errors(errors: list[GraphQLError], context: Any) -> list[GraphQLError]:
    """`coded_error` for each error of a result, under the request id of `context`."""
    request_id = getattr(context, "request_id", None)
    return [coded_error(error, request_id) for error in errors]


def coded_error(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """The same error with `extensions.code`; unexpected exceptions are masked as INTERNAL.

    Errors without a path were raised before execution and are the client's, with their message:
    syntax errors (GRAPHQL_PARSE_FAILED), validation errors (coded by `SchemaValidation`) and
    variable values that do not coerce (such as a PageSize over 100: BAD_USER_INPUT). A pathless
    error wrapping an exception that no GraphQL node explains (an extension failing) is unexpected.
    Database outages met anywhere are SERVICE_UNAVAILABLE; a statement PostgreSQL
    cancelled (statement_timeout) is TIMEOUT."""
    original = statement_timeout_error(error.original_error) or error.original_error
    extensions: dict[str, Any] = dict(error.extensions or {})
    message = error.message
    if isinstance(original, GatewayError):
        extensions["code"] = original.code.value
        extensions.update(original.details)
        message = original.message
    elif original is not None and database_unavailable(original):
        original = database_unavailable_error()
        extensions = {"code": original.code.value}
        message = original.message
    elif isinstance(error, GraphQLSyntaxError):
        extensions["code"] = ErrorCode.GRAPHQL_PARSE_FAILED.value
    elif error.path is None and (original is None or error.nodes):
        extensions.setdefault("code", ErrorCode.BAD_USER_INPUT.value)
    else:
        log.error("request %s: unexpected error at %s", request_id, error.path, exc_info=original)
        extensions = {"code": ErrorCode.INTERNAL.value}
        message = f"Internal server error (request id {request_id})."
    if request_id:
        extensions["requestId"] = request_id
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=original if isinstance(original, GatewayError) else None,
        extensions=extensions,
    )


@lru_cache(maxsize=512)
def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    """Strawberry's validation (the spec's rules plus its own two), keyed by document: clients
    send the same few documents again and again (ParserCache hands back the same node)."""
    rules = tuple(_ValuesOfCorrectType if rule is ValuesOfCorrectTypeRule else rule for rule in rules)
    rules = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    return [
        _with_default_code(error, ErrorCode.GRAPHQL_VALIDATION_FAILED)
        for error in validate(schema, document, rules, hide_suggestions=hide_suggestions)
    ]


def validation_errors(schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
    """The errors `SchemaValidation` finds in a document (cached), for those who validate outside a
    Strawberry execution (`gateway.mutation_lane`)."""
    return _validate(schema, document, tuple(specified_rules), True)


def _with_default_code(error: GraphQLError, code: ErrorCode) -> GraphQLError:
    """The error with `extensions.code` set, unless its rule gave it one."""
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        original_error=error.original_error,
        extensions={"code": code.value, **(error.extensions or {})},
    )


class _ValuesOfCorrectType(ValuesOfCorrectTypeRule):
    """A literal of the wrong type or out of range (`first: 101`, `where: {nope: 1}`) is bad
    input, coded BAD_USER_INPUT as the same value given in a variable is."""

    def report_error(self, error: GraphQLError) -> None:
        super().report_error(_with_default_code(error, ErrorCode.BAD_USER_INPUT))


class SchemaValidation(SchemaExtension):
    """Validates documents (cached, in place of Strawberry's ValidationCache) and codes their
    errors: GRAPHQL_VALIDATION_FAILED when the document does not fit the schema (unknown fields
    or arguments, missing arguments, bad fragments…), BAD_USER_INPUT for a literal value of the
    wrong type or out of range. Unless `suggestions`, no "Did you mean …?" hints: they map the
    schema for whoever probes it."""

    def __init__(self, *, suggestions: bool) -> None:
        super().__init__()
        self.hide_suggestions = not suggestions

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        rules = tuple(context.validation_rules)
        context.pre_execution_errors = list(
            _validate(context.schema._schema, context.graphql_document, rules, self.hide_suggestions)
        )
        yield


class GraphQLCore32Introspection(SchemaExtension):
    """Removes directive locations that graphql-core 3.2 cannot parse from introspection answers."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        data = getattr(result, "data", None)
        schema = data.get("__schema") if isinstance(data, dict) else None
        if not isinstance(schema, dict):
            return
        for directive in schema.get("directives") or []:
            locations = directive.get("locations")
            if locations:
                directive["locations"] = [loc for loc in locations if loc not in _LOCATIONS_UNKNOWN_TO_GRAPHQL_CORE_3_2]
