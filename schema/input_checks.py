"""Checks on the arguments of every field, made once for the whole schema rather than per resolver.

By the time a resolver runs, graphql-core has coerced its arguments (from variables and literals
alike) into plain values: dicts for input objects, lists, strings, numbers. `install_argument_checks`
wraps the resolver of every field that takes arguments with one walk over those values, which
refuses with BAD_USER_INPUT, naming the argument (`where.externalIdIn[3]`):

- a NUL character (U+0000) in any string or JSON key: PostgreSQL's text and jsonb cannot hold it;
- a list longer than `max_list_length` (LABELGATE_MAX_LIST_LENGTH), anywhere in the arguments: one
  filter or batch stays bounded in size and cost;
- nesting deeper than MAX_ARGUMENT_DEPTH levels (`{label: {asset: {label: ...}}}`, JSON values): a
  filter 80 levels deep exhausted the recursion of the SQL compiler (INTERNAL); the Kili SDK nests 4;
- a negative `skip`. Every list field's offset argument is named `skip` and typed `Int` (the Kili
  SDK declares `$skip: Int!`, which a scalar of our own would fail to validate), so the rule goes
  by the name.

Fields without arguments (nearly all of those a response is made of) are left as they are: the
checks cost nothing when serializing results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema, default_field_resolver

from gateway.errors import BadUserInput
from gateway.settings import get_settings

Path = tuple[str | int, ...]
NUL = "\x00"
MAX_ARGUMENT_DEPTH = 32


def install_argument_checks(schema: GraphQLSchema) -> None:
    """Wraps the resolver of every field that has arguments (introspection fields aside)."""
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for field in named.fields.values():
            if field.args:
                field.resolve = _checked(field.resolve or default_field_resolver)


def _checked(resolve: Callable[..., Any]) -> Callable[..., Any]:
    def resolve_checked(source: Any, info: GraphQLResolveInfo, **arguments: Any) -> Any:
        settings = getattr(info.context, "settings", None) or get_settings()
        check_arguments(arguments, settings.max_list_length)
        return resolve(source, info, **arguments)

    return resolve_checked


def check_arguments(arguments: dict[str, Any], max_list_length: int) -> None:
    """Raises BadUserInput for the first argument value the rules above refuse."""
    skip = arguments.get("skip")
    if isinstance(skip, int) and skip < 0:
        raise BadUserInput(f"skip must be 0 or more, got {skip}.")
    problem = _find_problem(arguments, max_list_length)
    if problem is not None:
        path, message = problem
        raise BadUserInput(f"{_spell(path)}: {message}")


def _find_problem(arguments: dict[str, Any], max_list_length: int) -> tuple[Path, str] | None:
    """Iterative (a deep JSON argument cannot exhaust the stack); paths are built for containers only."""
    nul = "NUL characters (\\u0000) are not accepted: PostgreSQL cannot store them."
    stack: list[tuple[Path, Any]] = [((name,), value) for name, value in arguments.items()]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                return path, nul
        elif isinstance(value, dict | list) and len(path) > MAX_ARGUMENT_DEPTH:
            return path[:1], f"nested deeper than {MAX_ARGUMENT_DEPTH} levels."
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and NUL in key:
                    return path, "a key holds a NUL character (\\u0000), which PostgreSQL cannot store."
                if isinstance(item, str | dict | list):
                    stack.append(((*path, key), item))
        elif isinstance(value, list):
            if len(value) > max_list_length:
                return path, (
                    f"{len(value)} items, at most {max_list_length} are accepted in one list "
                    "(LABELGATE_MAX_LIST_LENGTH); split the call."
                )
            for index, item in enumerate(value):
                if isinstance(item, str):
                    if NUL in item:
                        return (*path, index), nul
                elif isinstance(item, dict | list):
                    stack.append(((*path, index), item))
    return None


def _spell(path: Path) -> str:
    """('where', 'externalIdIn', 3) → where.externalIdIn[3]"""
    text = str(path[0])
    for part in path[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text
