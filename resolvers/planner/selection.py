"""From a validated document to a tree of what to fetch: for each response key, a catalog field and,
for relations, the selection beneath it. Fragments are inlined; anything the catalog lacks (a field,
a directive, an argument on a nested field, an abstract type) makes the document unplannable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)

from resolvers.planner.catalog import TYPES, Embedded, Field, Relation, Signed
from resolvers.planner.roots import QUERY_TYPENAME, ROOTS, Root

# json_build_object takes at most 100 arguments: 50 keys.
MAX_KEYS_PER_OBJECT = 50
# Fields a plan may hold once fragments are inlined: a document whose spreads multiply past this is
# left to the resolvers (the limits keep its execution bounded there).
MAX_PLANNED_FIELDS = 2_000
TYPENAME = "__typename"


class Unplannable(Exception):
    """The document needs something the planner does not cover: the resolvers answer it."""


@dataclass
class Selection:
    """The response keys of one object, in document order."""

    type_name: str
    entries: list[tuple[str, Field | str, Selection | None]] = field(default_factory=list)
    signs: bool = False  # some value beneath needs Python (catalog.Signed)


@dataclass(frozen=True)
class RootSelection:
    key: str
    root: Root
    node: FieldNode
    selection: Selection | None


def plan_operation(document: DocumentNode, operation_name: str | None) -> list[RootSelection]:
    """The root fields of the query operation `operation_name` (or the only one), planned."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY or operations[0].directives:
        raise Unplannable("not a single query operation")
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    budget = [MAX_PLANNED_FIELDS]
    roots: list[RootSelection] = []
    seen: set[str] = set()
    for node in _fields(operations[0].selection_set, "Query", fragments, budget):
        key = (node.alias or node.name).value
        if key in seen:
            raise Unplannable("a response key selected twice")
        seen.add(key)
        root = QUERY_TYPENAME if node.name.value == TYPENAME else ROOTS.get(node.name.value)
        if root is None:
            raise Unplannable(f"root field {node.name.value}")
        selection = None
        if root.type_name is not None:
            selection = _selection(node.selection_set, root.type_name, fragments, budget)
        elif node.selection_set is not None:
            raise Unplannable("a selection under a scalar root")
        roots.append(RootSelection(key, root, node, selection))
    if len(roots) > MAX_KEYS_PER_OBJECT:
        raise Unplannable("too many root fields for one object")
    return roots


def _selection(
    selection_set: SelectionSetNode | None,
    type_name: str,
    fragments: dict[str, FragmentDefinitionNode],
    budget: list[int],
) -> Selection:
    catalog = TYPES.get(type_name)
    if catalog is None or selection_set is None:
        raise Unplannable(f"type {type_name}")
    selection = Selection(type_name)
    seen: set[str] = set()
    for node in _fields(selection_set, type_name, fragments, budget):
        key = (node.alias or node.name).value
        if key in seen:
            raise Unplannable("a response key selected twice")  # merging selections: the resolvers do it
        seen.add(key)
        name = node.name.value
        if name == TYPENAME:
            selection.entries.append((key, type_name, None))
            continue
        spec = catalog.get(name)
        if spec is None or node.arguments:
            raise Unplannable(f"{type_name}.{name}")
        child = None
        if isinstance(spec, Relation | Embedded):
            child = _selection(node.selection_set, spec.type_name, fragments, budget)
        elif isinstance(spec, Signed):
            selection.signs = True
        selection.entries.append((key, spec, child))
        selection.signs = selection.signs or bool(child and child.signs)
    if len(selection.entries) > MAX_KEYS_PER_OBJECT:
        raise Unplannable("too many keys in one object")
    return selection


def _fields(
    selection_set: SelectionSetNode | None,
    type_name: str,
    fragments: dict[str, FragmentDefinitionNode],
    budget: list[int],
) -> list[FieldNode]:
    """The fields of a selection set with fragments on `type_name` itself inlined, in order; each
    field found spends one of `budget[0]`."""
    found: list[FieldNode] = []
    for node in selection_set.selections if selection_set else ():
        if node.directives:
            raise Unplannable("directives")
        if isinstance(node, FieldNode):
            budget[0] -= 1
            if budget[0] < 0:
                raise Unplannable("too many fields once fragments are inlined")
            found.append(node)
            continue
        if isinstance(node, FragmentSpreadNode):
            fragment = fragments.get(node.name.value)
            if fragment is None or fragment.directives:
                raise Unplannable("fragment")
            condition, inner = fragment.type_condition.name.value, fragment.selection_set
        elif isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else type_name
            inner = node.selection_set
        else:
            raise Unplannable("selection")
        if condition != type_name:
            raise Unplannable("fragment on another type")
        found.extend(_fields(inner, type_name, fragments, budget))
    return found
