"""Builds the Strawberry Schema and exports its SDL."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.limits import QueryLimits
from schema.extensions import ErrorCodes, GraphQLCore32Introspection
from schema.mutation import Mutation
from schema.query import Query
from schema.scalars import SCALAR_MAP
from schema.types.annotation import ANNOTATION_TYPES


class GatewaySchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Logging happens in ErrorCodes (only unexpected errors, under the request id)."""


def build_schema() -> strawberry.Schema:
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        types=ANNOTATION_TYPES,
        # Clients (the Kili SDK above all) send the same few documents again and again: parsing and
        # validating each once saves about a tenth of the CPU of a write. QueryLimits parses (with its
        # own cache) and refuses documents over a limit before validation; it must come after
        # ValidationCache (see its docstring).
        extensions=[
            ErrorCodes,
            GraphQLCore32Introspection,
            lambda: ValidationCache(maxsize=512),
            QueryLimits,
        ],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
