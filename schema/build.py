"""Builds the Strawberry Schema and exports its SDL."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult

from gateway.limits import QueryLimits
from schema.extensions import GraphQLCore32Introspection, SchemaValidation, coded_errors
from schema.input_checks import install_argument_checks
from schema.mutation import Mutation
from schema.queries.args import FIRST_DEFAULT, set_first_defaults
from schema.query import Query
from schema.scalars import SCALAR_MAP
from schema.types.annotation import ANNOTATION_TYPES


class GatewaySchema(strawberry.Schema):
    """Every error of every answer carries `extensions.code`, whatever stage raised it (a syntax
    error raised by ParserCache never reaches an extension's `on_operation`), and no error
    suggests schema names unless `suggestions`."""

    def __init__(self, *args: Any, suggestions: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hide_suggestions = not suggestions

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        result = await super().execute(*args, **kwargs)
        if result.errors:
            result.errors = coded_errors(result.errors, kwargs.get("context_value"))
        return result

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Logging happens in `coded_error` (only unexpected errors, under the request id)."""

    def _get_custom_context_kwargs(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # Strawberry passes these to graphql-core's `execute`: variable values that do not coerce
        # (unknown input fields, enum values) are reported without "Did you mean …?" either.
        return {**super()._get_custom_context_kwargs(*args, **kwargs), "hide_suggestions": self.hide_suggestions}


def build_schema(*, suggestions: bool = False, max_page_size: int = FIRST_DEFAULT) -> strawberry.Schema:
    """The schema; `suggestions` turns "Did you mean …?" hints on (LABELGATE_GRAPHQL_SUGGESTIONS), and an
    omitted `first` is `max_page_size` (LABELGATE_MAX_PAGE_SIZE; the default gives the exported SDL)."""
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        types=ANNOTATION_TYPES,
        # Clients (the Kili SDK above all) send the same few documents again and again: parsing and
        # validating each once saves about a tenth of the CPU of a write. QueryLimits parses (with its
        # own cache) and refuses documents over a limit before validation; it must come after
        # SchemaValidation (its refusal replaces the validation errors: see its docstring).
        extensions=[
            GraphQLCore32Introspection,
            lambda: SchemaValidation(suggestions=suggestions),
            QueryLimits,
        ],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        suggestions=suggestions,
    )
    # NUL characters, list lengths and negative `skip`, checked for every field at once.
    install_argument_checks(schema._schema)
    set_first_defaults(schema._schema, max_page_size)
    return schema


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
