"""Builds the Strawberry Schema and exports its SDL."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.extensions import ErrorCodes, GraphQLCore32Introspection
from schema.input_checks import install_argument_checks
from schema.mutation import Mutation
from schema.query import Query
from schema.scalars import SCALAR_MAP


class GatewaySchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Logging happens in ErrorCodes (only unexpected errors, under the request id)."""


def build_schema() -> strawberry.Schema:
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        # Clients (the Kili SDK above all) send the same few documents again and again: parsing and
        # validating each once saves about a tenth of the CPU of a write.
        extensions=[
            ErrorCodes,
            GraphQLCore32Introspection,
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
        ],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )
    # NUL characters, list lengths and negative `skip`, checked for every field at once.
    install_argument_checks(schema._schema)
    return schema


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
