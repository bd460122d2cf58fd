"""Limits on the text and the shape of a GraphQL document: its size in bytes, its tokens, its depth,
its aliases and its directives, and which root fields it asks.

Everything here runs before graphql-core validates the document, because validation itself is what a
hostile document makes slow (overlapping-fields checks are quadratic in the fields of one selection
set: 5,000 aliases of `countAssets` kept the server busy for 13 s). Counts walk the document with
fragments expanded, so a fragment spread counts as often as it is spread, and take time linear in the
document: each fragment is measured once, after the fragments it spreads (a chain of fragments each
spreading the next twice would otherwise take 2^n steps).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from gateway.errors import QueryTooComplex

# Root fields a request without a valid API key may ask: introspection only.
INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type", "__typename"})

# graphql-core's messages for its own limits (parse(max_tokens=...) and its recursion guard).
_TOKEN_LIMIT_MESSAGE = "Document contains more than"
_NESTING_LIMIT_MESSAGE = "Document is nested too deeply"


def too_complex(limit: str, value: int | None, maximum: int, message: str) -> QueryTooComplex:
    """The refusal of one limit; `extensions` names the limit, the value found and the maximum."""
    return QueryTooComplex(message, details={"limit": limit, "value": value, "maximum": maximum})


def check_document_bytes(query: str, max_bytes: int) -> None:
    """Refuses a document longer than `max_bytes` (UTF-8), before anything reads it."""
    size = len(query) if query.isascii() else len(query.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise too_complex(
            "documentBytes", size, max_bytes, f"The document is {size} bytes long; at most {max_bytes} are accepted."
        )


@lru_cache(maxsize=512)
def parse_document(query: str, max_tokens: int, max_depth: int) -> DocumentNode:
    """The parsed document (cached: clients send the same few documents again and again).

    The parser stops after `max_tokens` tokens (comments count: a comment-padded document is as
    costly to read), and graphql-core refuses nesting deeper than the interpreter's recursion allows:
    both are `QueryTooComplex`. Other syntax errors propagate as graphql-core raises them."""
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLSyntaxError as error:
        if _TOKEN_LIMIT_MESSAGE in error.message:
            raise too_complex(
                "tokens", None, max_tokens, f"The document has more than {max_tokens} tokens; parsing stopped there."
            ) from None
        if _NESTING_LIMIT_MESSAGE in error.message:
            raise too_complex(
                "depth",
                None,
                max_depth,
                f"The document nests too deeply; at most {max_depth} levels of fields are accepted.",
            ) from None
        raise


@dataclass(frozen=True)
class DocumentShape:
    """What the limits look at in a document (or a fragment), fragments expanded."""

    depth: int = 0  # field levels: `{ viewer { email } }` is 2
    aliases: int = 0
    directives: int = 0
    root_fields: frozenset[str] = frozenset()  # names of the fields at the top of the selection set


Summary = TypeVar("Summary")


def spread_names(selection_set: SelectionSetNode | None) -> set[str]:
    """Names of the fragments spread anywhere in `selection_set`."""
    names: set[str] = set()
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FragmentSpreadNode):
            names.add(selection.name.value)
        else:
            names |= spread_names(selection.selection_set)  # type: ignore[union-attr]
    return names


def fragments_in_dependency_order(document: DocumentNode) -> list[FragmentDefinitionNode]:
    """The document's fragments, each after the fragments it spreads. Fragments in a cycle (which
    validation refuses later) come in some order; a spread back into the cycle is then not known yet.
    Iterative: a long chain of fragments must not exhaust the interpreter's stack."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    spreads = {name: [n for n in spread_names(f.selection_set) if n in fragments] for name, f in fragments.items()}
    ordered: list[FragmentDefinitionNode] = []
    seen: set[str] = set()
    for start in fragments:
        if start in seen:
            continue
        seen.add(start)
        stack = [(start, iter(spreads[start]))]
        while stack:
            name, pending = stack[-1]
            following = next(pending, None)
            if following is None:
                stack.pop()
                ordered.append(fragments[name])
            elif following not in seen:
                seen.add(following)
                stack.append((following, iter(spreads[following])))
    return ordered


def summarize_fragments(
    document: DocumentNode,
    summarize: Callable[[FragmentDefinitionNode, Mapping[str, Summary]], Summary],
) -> dict[str, Summary]:
    """`summarize(fragment, summaries_so_far)` for every fragment, dependencies first."""
    summaries: dict[str, Summary] = {}
    for fragment in fragments_in_dependency_order(document):
        summaries[fragment.name.value] = summarize(fragment, summaries)
    return summaries


def _shape(selection_set: SelectionSetNode | None, fragments: Mapping[str, DocumentShape]) -> DocumentShape:
    depth = aliases = directives = 0
    root_fields: set[str] = set()
    for selection in selection_set.selections if selection_set else ():
        directives += len(selection.directives or ())
        if isinstance(selection, FieldNode):
            inner = _shape(selection.selection_set, fragments)
            depth = max(depth, 1 + inner.depth)
            aliases += inner.aliases + (1 if selection.alias else 0)
            directives += inner.directives
            root_fields.add(selection.name.value)
            continue
        if isinstance(selection, InlineFragmentNode):
            inner = _shape(selection.selection_set, fragments)
        else:
            inner = fragments.get(selection.name.value, DocumentShape())
        depth = max(depth, inner.depth)
        aliases += inner.aliases
        directives += inner.directives
        root_fields |= inner.root_fields
    return DocumentShape(depth, aliases, directives, frozenset(root_fields))


def _operation_directives(operation: OperationDefinitionNode) -> int:
    return len(operation.directives or ()) + sum(len(v.directives or ()) for v in operation.variable_definitions or ())


@lru_cache(maxsize=512)
def measure_document(document: DocumentNode) -> DocumentShape:
    """The shape of the whole document: its deepest operation, and the aliases and directives of all
    its operations (validation reads them all, whichever runs), fragments expanded. Cached by
    identity: `parse_document` hands out the same object for the same text."""
    fragments = summarize_fragments(
        document, lambda fragment, known: _with_directives(_shape(fragment.selection_set, known), fragment)
    )
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    shapes = [(_shape(op.selection_set, fragments), _operation_directives(op)) for op in operations]
    return DocumentShape(
        depth=max((s.depth for s, _ in shapes), default=0),
        aliases=sum(s.aliases for s, _ in shapes),
        directives=sum(s.directives + own for s, own in shapes),
        root_fields=frozenset().union(*(s.root_fields for s, _ in shapes)),
    )


def _with_directives(shape: DocumentShape, fragment: FragmentDefinitionNode) -> DocumentShape:
    """A fragment's own directives (`fragment F on T @d`) count each time it is spread."""
    own = len(fragment.directives or ())
    if not own:
        return shape
    return DocumentShape(shape.depth, shape.aliases, shape.directives + own, shape.root_fields)


def only_introspection(root_fields: Iterable[str]) -> bool:
    """True when every root field is `__schema`, `__type` or `__typename`."""
    return all(name in INTROSPECTION_ROOT_FIELDS for name in root_fields)
