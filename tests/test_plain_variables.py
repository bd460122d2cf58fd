"""`gateway.plain_variables` against graphql-core's own coercion: whenever it takes variables as they
are, they equal what `get_variable_values` makes of them; and it does take well-typed batches."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    parse,
)
from graphql.execution.get_variable_signature import GraphQLVariableSignature, get_variable_signature
from graphql.execution.values import get_variable_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.plain_variables import plain_variables
from schema.build import build_schema

SCHEMA = build_schema()._schema
# Input types the Kili SDK's writes and filters send: lists, nested objects, enums, Ints, Floats, defaults.
TYPES = ["AppendManyAssetsData!", "ProjectWhere!", "AssetWhere", "[AssetData!]!", "LabelWhere!"]

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)
_SCALARS = {
    "String": st.text(max_size=5),
    "ID": st.text(max_size=5),
    "Boolean": st.booleans(),
    "Int": st.integers(-(2**31), 2**31 - 1),
    "Float": st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**31), 2**31 - 1),
}


def _typed(type_: Any, depth: int = 0) -> st.SearchStrategy:
    """JSON values for `type_`: well-typed most of the time, anything JSON some of the time."""
    if not isinstance(type_, GraphQLNonNull):
        return st.none() | _typed(GraphQLNonNull(type_), depth)
    type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        inner = st.lists(_typed(type_.of_type, depth + 1), max_size=4)
    elif isinstance(type_, GraphQLInputObjectType):
        fields = {n: f for n, f in type_.fields.items() if depth < 2 or isinstance(f.type, GraphQLNonNull)}
        inner = st.fixed_dictionaries({}, optional={n: _typed(f.type, depth + 1) for n, f in fields.items()})
    elif isinstance(type_, GraphQLEnumType):
        inner = st.sampled_from(sorted(type_.values))
    elif isinstance(type_, GraphQLScalarType) and type_.name in _SCALARS:
        inner = _SCALARS[type_.name]
    else:
        inner = _JSON
    return st.one_of(inner, inner, inner, inner, inner, _JSON)


@pytest.mark.parametrize("type_name", TYPES)
def test_what_it_takes_as_it_is_equals_graphql_cores_coercion(type_name):
    definitions = parse(f"mutation($v: {type_name}) {{ __typename }}").definitions[0].variable_definitions
    defined = [get_variable_signature(SCHEMA, definitions[0])]
    taken = []

    @settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(st.fixed_dictionaries({"v": _typed(defined[0].type)}))
    def check(variables: dict[str, Any]) -> None:
        plain = plain_variables(defined, variables)
        coerced = get_variable_values(SCHEMA, definitions, variables)
        if plain is not None:
            assert not isinstance(coerced, list), coerced  # graphql-core refuses nothing it takes
            assert _same(plain, coerced.coerced)
            taken.append(variables)

    check()
    assert len(taken) >= 15  # the property is only worth something if it often got past the checks


def test_a_kili_batch_is_taken_as_it_is():
    count = 100
    data = {
        "contentArray": [f"https://cdn.example.com/{k}.jpg" for k in range(count)],
        "externalIDArray": [f"e-{k}" for k in range(count)],
        "idArray": [f"id-{k}" for k in range(count)],
        "isHoneypotArray": [False] * count,
        "jsonContentArray": [""] * count,
        "jsonMetadataArray": ['{"frame": 1}'] * count,
    }
    defined = [
        GraphQLVariableSignature("data", SCHEMA.type_map["AppendManyAssetsData"], None),
        GraphQLVariableSignature("where", SCHEMA.type_map["ProjectWhere"], None),
    ]
    plain = plain_variables(defined, {"data": data, "where": {"id": "p"}})
    assert plain is not None
    assert plain["data"]["externalIDArray"] is data["externalIDArray"]  # checked in one pass, not copied
    assert plain["data"]["extendSessions"] is True  # the field's default, as graphql-core fills it in
    assert plain["where"] == {**{name: None for name in SCHEMA.type_map["ProjectWhere"].fields}, "id": "p"}
    for refused in ({**data, "idArray": [1]}, {**data, "externalIDArray": "one"}, {**data, "nope": []}):
        assert plain_variables(defined, {"data": refused, "where": {"id": "p"}}) is None
    assert plain_variables(defined, {"data": data}) is None  # a variable left out


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 == 1.0 == True in Python)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b
