"""Schema extensions: error codes and masking, and introspection that graphql-core 3.2 clients read."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.deadline import statement_timeout_error
from gateway.errors import ErrorCode, GatewayError

log = logging.getLogger("labelgate.errors")

# Directive locations graphql-core 3.3 added; the Kili SDK builds its client schema with
# graphql-core 3.2, whose DirectiveLocation enum rejects them (wire-protocol trap 1).
_LOCATIONS_UNKNOWN_TO_GRAPHQL_CORE_3_2 = {"DIRECTIVE_DEFINITION", "FRAGMENT_VARIABLE_DEFINITION"}


def _request_id(context: Any) -> str | None:
    return getattr(context, "request_id", None)


def coded_error(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """The same error with `extensions.code`; unexpected exceptions are masked as INTERNAL.

    Errors without a path were raised before execution (syntax, validation, variable coercion
    such as a PageSize over 100): they are the client's and keep their message."""
    original = statement_timeout_error(error.original_error) or error.original_error
    extensions: dict[str, Any] = dict(error.extensions or {})
    if isinstance(original, GatewayError):
        extensions["code"] = original.code.value
        extensions.update(original.details)
        message = original.message
    elif error.path is None:
        extensions.setdefault("code", ErrorCode.BAD_USER_INPUT.value)
        message = error.message
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


class ErrorCodes(SchemaExtension):
    """Gives every error an `extensions.code` (the Kili SDK reads `errors[0].extensions`)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            request_id = _request_id(self.execution_context.context)
            result.errors = [coded_error(e, request_id) for e in result.errors]


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
