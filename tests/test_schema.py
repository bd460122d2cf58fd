"""The exported SDL is current, and GraphiQL users find a description everywhere."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
)

from schema.build import build_schema, export_sdl
from schema.export import SDL_PATH


def test_committed_sdl_matches_the_schema() -> None:
    assert SDL_PATH.read_text() == export_sdl(), "schema.graphql is stale: run `python -m schema.export`"


def test_every_type_field_and_argument_has_a_description() -> None:
    schema = build_schema()._schema
    missing = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not type_.description:
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing += [f"{name}.{field_name}({a})" for a, arg in field.args.items() if not arg.description]
        elif isinstance(type_, GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, field in type_.fields.items() if not field.description]
        elif isinstance(type_, GraphQLEnumType):
            continue
    assert missing == [], f"no description: {missing}"


def test_kili_contract_names_are_spelled_exactly() -> None:
    """The SDK declares variables with these type names and sends these argument names."""
    schema = build_schema()._schema
    for name in ["PageSize", "AssetWhere", "ProjectWhere", "LabelWhere", "ApiKeyWhere", "OrganizationWhere"]:
        assert name in schema.type_map, name
    query = schema.query_type.fields
    assert str(query["projects"].args["first"].type) == "PageSize!"
    assert str(query["apiKeys"].args["where"].type) == "ApiKeyWhere!"
