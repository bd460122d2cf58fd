"""The GraphQL schema: Strawberry types, inputs, enums, and the Schema object."""

from schema.build import build_schema

__all__ = ["build_schema"]
