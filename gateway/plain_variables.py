"""Variables that need no coercion: JSON values already equal to what graphql-core's coercion would
make of them, checked in one pass, for the mutation lane (`gateway.mutation_lane`).

graphql-core coerces a variable value by walking it against its type, item by item, building a new
value and an error path at every step: for a batch such as `appendManyAssets` (six arrays of 100
strings and booleans) that walk cost a tenth of the request's CPU. JSON that already holds exact
types needs none of it: a list of `str` for `[String!]` is its own coercion. So `plain_variables`
checks types (a list of built-in scalars in one `all(...)`), fills in the input fields' defaults
as graphql-core does, and gives up (`None`) on anything it is not sure of: a value of another type
(an int for an ID, a single value for a list), a custom scalar, a @oneOf input, a variable left out
or with a default. The request then goes the usual way, whose coercion accepts it or explains why not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import isfinite
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLString,
    Undefined,
)
from graphql.execution.get_variable_signature import GraphQLVariableSignature

MIN_INT, MAX_INT = -(2**31), 2**31 - 1


class _NotPlain(Exception):
    """A value the usual coercion must look at."""


def _is_int(value: Any) -> bool:
    return type(value) is int and MIN_INT <= value <= MAX_INT


# The built-in scalars whose coerced value is the JSON value itself, by the exact Python type JSON
# decoding gives (`bool` is not an Int, an int is not an ID here: graphql-core turns it into a string).
_SAME_VALUE: dict[GraphQLInputType, Callable[[Any], bool]] = {
    GraphQLString: lambda value: type(value) is str,
    GraphQLID: lambda value: type(value) is str,
    GraphQLBoolean: lambda value: type(value) is bool,
    GraphQLInt: _is_int,
}


def plain_variables(signatures: Sequence[GraphQLVariableSignature], values: dict[str, Any]) -> dict[str, Any] | None:
    """The variables as graphql-core's `get_variable_values` would coerce them, or None when they
    need its coercion (or its error). `signatures`: the operation's variables, none with a default."""
    if len(values) != len(signatures):
        return None
    try:
        return {signature.name: _plain(values[signature.name], signature.type) for signature in signatures}
    except (_NotPlain, KeyError):
        return None


def _plain(value: Any, type_: GraphQLInputType) -> Any:
    if isinstance(type_, GraphQLNonNull):
        if value is None:
            raise _NotPlain
        type_ = type_.of_type
    elif value is None:
        return None
    same = _SAME_VALUE.get(type_)
    if same is not None:
        if same(value):
            return value
        raise _NotPlain
    if isinstance(type_, GraphQLList):
        return _plain_list(value, type_.of_type)
    if isinstance(type_, GraphQLInputObjectType):
        return _plain_object(value, type_)
    if type_ is GraphQLFloat:
        if type(value) is float and isfinite(value) or _is_int(value):
            return float(value)
        raise _NotPlain
    if isinstance(type_, GraphQLEnumType) and type(value) is str and value in type_.values:
        return type_.parse_value(value)  # Strawberry's enum types give the Python enum member
    raise _NotPlain  # a custom scalar, or a value of another type


def _plain_list(value: Any, item_type: GraphQLInputType) -> list[Any]:
    if type(value) is not list:
        raise _NotPlain  # a single value for a list: graphql-core wraps it
    same = _SAME_VALUE.get(item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type)
    if same is not None:  # the common batch: a list of strings or booleans, checked in one pass
        nullable = not isinstance(item_type, GraphQLNonNull)
        if all(same(item) or (nullable and item is None) for item in value):
            return value
        raise _NotPlain
    return [_plain(item, item_type) for item in value]


def _plain_object(value: Any, type_: GraphQLInputObjectType) -> dict[str, Any]:
    if type(value) is not dict or type_.is_one_of or type_.out_type is not GraphQLInputObjectType.out_type:
        raise _NotPlain
    fields = type_.fields
    if not value.keys() <= fields.keys():
        raise _NotPlain  # an unknown field: graphql-core's error names it
    coerced = {}
    for name, field in fields.items():
        out_name = field.out_name or name
        if name in value:
            coerced[out_name] = _plain(value[name], field.type)
        elif field.default_value is not Undefined:
            coerced[out_name] = field.default_value
        elif isinstance(field.type, GraphQLNonNull):
            raise _NotPlain
    return coerced
