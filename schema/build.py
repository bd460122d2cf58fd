"""Builds the Strawberry Schema and exports its SDL."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.extensions import ErrorCodes, GraphQLCore32Introspection
from schema.mutation import Mutation
from schema.query import Query
from schema.scalars import SCALAR_MAP


class GatewaySchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Logging happens in ErrorCodes (only unexpected errors, under the request id)."""


def build_schema() -> strawberry.Schema:
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        extensions=[ErrorCodes, GraphQLCore32Introspection],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
