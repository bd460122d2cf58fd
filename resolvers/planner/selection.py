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
    get_operation_ast,
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


def plan_operation(
    document: DocumentNode, operation_name: str | None
) -> tuple[OperationDefinitionNode, list[RootSelection]]:
    """The query operation `operation_name` (or the only one), and its root fields planned."""
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY or operation.directives:
        raise Unplannable("not a single query operation")
    walk = _Walk({d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)})
    roots: list[RootSelection] = []
    for key, node in walk.keyed_fields(operation.selection_set, "Query"):
        root = QUERY_TYPENAME if node.name.value == TYPENAME else ROOTS.get(node.name.value)
        if root is None:
            raise Unplannable(f"root field {node.name.value}")
        selection = None
        if root.type_name is not None:
            selection = walk.selection(node.selection_set, root.type_name)
        elif node.selection_set is not None:
            raise Unplannable("a selection under a scalar root")
        roots.append(RootSelection(key, root, node, selection))
    if len(roots) > MAX_KEYS_PER_OBJECT:
        raise Unplannable("too many root fields for one object")
    return operation, roots


class _Walk:
    """One document's selections against the catalog, fragments inlined; every field met spends one
    of `budget` (`MAX_PLANNED_FIELDS`)."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.budget = MAX_PLANNED_FIELDS

    def selection(self, selection_set: SelectionSetNode | None, type_name: str) -> Selection:
        catalog = TYPES.get(type_name)
        if catalog is None or selection_set is None:
            raise Unplannable(f"type {type_name}")
        selection = Selection(type_name)
        for key, node in self.keyed_fields(selection_set, type_name):
            name = node.name.value
            if name == TYPENAME:
                selection.entries.append((key, type_name, None))
                continue
            spec = catalog.get(name)
            if spec is None or node.arguments:
                raise Unplannable(f"{type_name}.{name}")
            child = None
            if isinstance(spec, Relation | Embedded):
                child = self.selection(node.selection_set, spec.type_name)
            elif isinstance(spec, Signed):
                selection.signs = True
            selection.entries.append((key, spec, child))
            selection.signs = selection.signs or bool(child and child.signs)
        if len(selection.entries) > MAX_KEYS_PER_OBJECT:
            raise Unplannable("too many keys in one object")
        return selection

    def keyed_fields(self, selection_set: SelectionSetNode | None, type_name: str) -> list[tuple[str, FieldNode]]:
        """`fields` with their response keys; a key selected twice is left to the resolvers (graphql-core
        merges such selections)."""
        keyed = [((node.alias or node.name).value, node) for node in self.fields(selection_set, type_name)]
        if len({key for key, _node in keyed}) != len(keyed):
            raise Unplannable("a response key selected twice")
        return keyed

    def fields(self, selection_set: SelectionSetNode | None, type_name: str) -> list[FieldNode]:
        """The fields of a selection set with fragments on `type_name` itself inlined, in order."""
        found: list[FieldNode] = []
        for node in selection_set.selections if selection_set else ():
            if node.directives:
                raise Unplannable("directives")
            if isinstance(node, FieldNode):
                self.budget -= 1
                if self.budget < 0:
                    raise Unplannable("too many fields once fragments are inlined")
                found.append(node)
                continue
            if isinstance(node, FragmentSpreadNode):
                fragment = self.fragments.get(node.name.value)
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
            found.extend(self.fields(inner, type_name))
        return found
