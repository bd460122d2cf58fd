"""The cost estimate: how many objects a request may produce, list sizes multiplied down the tree.

    cost(object field)  = items × (1 + cost of its selection)
    cost(scalar field)  = 0, except a root field (a count, a check): 1, as it runs its own statement
    cost(__typename)    = 0
    cost(__schema)      = the size of the schema (types, fields, arguments, enum values, directives)
    cost(__type)        = the size of the largest type; nothing below introspection roots is counted
                          again (graphql-core's MaxIntrospectionDepthRule bounds how deep it nests)

`items` is 1 for a field that is not a list. A field with a `first` argument (every list and
connection we serve) holds `first` items (or a connection's `last`): the literal, or the variable's
value, or the argument's default, at most `max_page_size` (a larger `first` is refused by the
PageSize scalar anyway). A list without `first` holds at most its bound in LIST_BOUNDS below: the
one table to edit when a list field is added (tests/test_limits.py fails until it is there).
Fragments and inline fragments count where they are spread, so they offer no way around the estimate.

So `{ set(id) { assets(first: 100) { sets { assets(first: 100) { id } } } } }` costs
1 + 100 × (1 + 10 × (1 + 100)) = 101,101, and a page of 100 assets with their labels and authors,
project and sets about 100 × (1 + 20 × 2 + 1 + 10) = 5,200.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    get_named_type,
    get_nullable_type,
    is_enum_type,
    is_input_object_type,
    is_leaf_type,
    is_list_type,
    value_from_ast_untyped,
)

from gateway.limits.document import summarize_fragments

# A list whose size is that of the longest list the field's arguments hold: a batch mutation
# answers one item per item it was given.
AS_MANY_AS_GIVEN: Final = "as many as given"

# Lists without a `first` argument, "Type.field" → the most items they hold. Where the data
# imposes no bound, the number is an assumption about real projects, documented in the README.
LIST_BOUNDS: Final[dict[str, int | str]] = {
    # Relations of an asset: assumed bounds (an asset with more still works: the estimate is low).
    "Asset.labels": 20,
    "Asset.issues": 10,
    "Asset.sets": 10,
    "Asset.toBeLabeledBy": 10,
    # Members of a project: an assumed bound.
    "Project.roles": 100,
    # Always empty on labelgate (V1 workflow, no data connections).
    "Project.steps": 0,
    "Project.dataConnections": 0,
    # Kili's per-annotation records: labelgate keeps labels as json responses, so `Label.annotations`
    # is always empty (schema/types/annotation.py) and the lists inside annotations are never answered.
    "Label.annotations": 0,
    **{
        f"{annotation}.{field}": 0
        for annotation, fields in {
            "RankingAnnotationValue": ("orders",),
            "ObjectDetectionAnnotationValue": ("vertices",),
            "VideoAnnotation": ("frames", "keyAnnotations"),
            "VideoObjectDetectionAnnotation": ("frames", "keyAnnotations"),
            "VideoClassificationAnnotation": ("frames", "keyAnnotations"),
            "VideoTranscriptionAnnotation": ("frames", "keyAnnotations"),
        }.items()
        for field in fields
    },
    # An issue's thread is its one comment (or none).
    "Issue.comments": 1,
    # Outcomes of a bulk action: a `where` matches at most 10,000 assets
    # (resolvers.workflow.MAX_ASSETS_PER_CALL).
    "AssetActionOutcome.succeeded": 10_000,
    "AssetActionOutcome.declined": 10_000,
    "AssetActionOutcome.failed": 10_000,
    # deleteLabelsWhere deletes at most 10,000 labels (resolvers.label_deletes.MAX_LABELS_PER_CALL).
    "LabelActionOutcome.succeeded": 10_000,
    "LabelActionOutcome.declined": 10_000,
    "LabelActionOutcome.failed": 10_000,
    # Label statistics: one entry per label type and model (assumed), per job and category of the
    # ontology (assumed); an asset's statistics hold at most 5 types and its annotation's categories.
    "Query.labelSources": 100,
    "Query.labelCategories": 1000,
    "LabelStats.byType": 5,
    "LabelStats.byCategory": 100,
    # A connection's nodes: the connection field's `first` has multiplied them already.
    "AssetConnection.nodes": 1,
    "IssueConnection.nodes": 1,
    "LabelConnection.nodes": 1,
    "ProjectConnection.nodes": 1,
    "SessionConnection.nodes": 1,
    "SetConnection.nodes": 1,
    # Batch mutations answer one item per item given.
    "Mutation.appendManyAssets": AS_MANY_AS_GIVEN,
    "Mutation.updatePropertiesInAssets": AS_MANY_AS_GIVEN,
    "Mutation.appendManyLabels": AS_MANY_AS_GIVEN,
    "Mutation.createIssues": AS_MANY_AS_GIVEN,
    # splitSet answers one subset per section or fraction (resolvers.set_writes.MAX_SPLITS).
    "Mutation.splitSet": 100,
    "Mutation.appendSessionEvents": AS_MANY_AS_GIVEN,
    "Mutation.addSessionComments": AS_MANY_AS_GIVEN,
    # A session's event summary: one entry per event name and kind (an assumed bound); its states, per
    # state (assumed). A timeline answers at most 10,000 samples (resolvers.session_events).
    "Session.eventSummary": 50,
    "EventSummary.states": 20,
    "Session.timeline": 10_000,
    # Statistics (resolvers/stats/): one bucket per status, at most 10 aggregations and 20 metrics;
    # terms take `size` up to 1,000 buckets, assumed at its default of 100 here.
    "AssetStats.byStatus": 5,
    "AssetStats.aggregations": 10,
    "AssetStats.metrics": 20,
    "Aggregation.buckets": 100,
    "Bucket.byStatus": 5,
    "Bucket.metrics": 20,
    "Query.metadataFields": 1000,
}

INTROSPECTION_FIELDS: Final = frozenset({"__schema", "__type"})


@cache
def introspection_costs(schema: GraphQLSchema) -> tuple[int, int]:
    """(cost of `__schema`, cost of `__type`): the elements introspection walks, in the whole schema
    and in its largest type."""

    def size(named: GraphQLNamedType) -> int:
        if is_enum_type(named):
            return 1 + len(named.values)  # type: ignore[attr-defined]
        fields = getattr(named, "fields", None) or {}
        if is_input_object_type(named):
            return 1 + len(fields)
        return 1 + sum(1 + len(f.args) for f in fields.values())

    sizes = [size(t) for t in schema.type_map.values()]
    directives = sum(1 + len(d.args) for d in schema.directives)
    return sum(sizes) + directives, max(sizes, default=1)


def items_given(arguments: list[Any]) -> int:
    """How many items a batch mutation was given: the longest list among its argument values and
    their fields (`data: {contentArray: [...]}`, `where: [...]`)."""
    lengths = [0]
    for value in arguments:
        if isinstance(value, list):
            lengths.append(len(value))
        elif isinstance(value, dict):
            lengths.extend(len(v) for v in value.values() if isinstance(v, list))
    return max(lengths)


class CostEstimate:
    """The cost of one operation of a parsed document, for one request's variables."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any] | None,
        max_page_size: int,
    ) -> None:
        self.schema = schema
        self.max_page_size = max_page_size
        self.roots = [t for t in (schema.query_type, schema.mutation_type, schema.subscription_type) if t]
        self.schema_cost, self.type_cost = introspection_costs(schema)
        # Variables as execution will see them: the request's, else the operation's defaults.
        self.variables = {
            v.variable.name.value: value_from_ast_untyped(v.default_value)
            for v in operation.variable_definitions or ()
            if v.default_value is not None
        }
        if isinstance(variables, Mapping):
            self.variables.update(variables)
        self.fragments: Mapping[str, int] = {}
        self.fragments = summarize_fragments(document, self._fragment)
        root = {
            OperationType.QUERY: schema.query_type,
            OperationType.MUTATION: schema.mutation_type,
            OperationType.SUBSCRIPTION: schema.subscription_type,
        }[operation.operation]
        self.cost = self._selection(root, operation.selection_set)

    def _fragment(self, fragment: FragmentDefinitionNode, known: Mapping[str, int]) -> int:
        self.fragments = known  # the fragments it spreads are in there already
        return self._selection(self.schema.get_type(fragment.type_condition.name.value), fragment.selection_set)

    def _selection(self, parent: GraphQLNamedType | None, selection_set: SelectionSetNode | None) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self._field(parent, selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self._selection(inner, selection.selection_set)
            else:
                total += self.fragments.get(selection.name.value, 0)
        return total

    def _field(self, parent: GraphQLNamedType | None, node: FieldNode) -> int:
        name = node.name.value
        if name == "__typename":
            return 0
        if name in INTROSPECTION_FIELDS:
            return self.schema_cost if name == "__schema" else self.type_cost
        field = (getattr(parent, "fields", None) or {}).get(name)
        if field is None:
            return 0  # an unknown field: validation refuses it next
        named = get_named_type(field.type)
        if is_leaf_type(named):
            return 1 if any(parent is root for root in self.roots) else 0
        return self._items(parent, field, node) * (1 + self._selection(named, node.selection_set))

    def _items(self, parent: GraphQLNamedType | None, field: GraphQLField, node: FieldNode) -> int:
        if "first" in field.args:
            return self._first(field, node)
        if not is_list_type(get_nullable_type(field.type)):
            return 1
        bound = LIST_BOUNDS.get(f"{getattr(parent, 'name', '')}.{node.name.value}", self.max_page_size)
        if bound == AS_MANY_AS_GIVEN:
            return max(1, items_given([self._argument(a.value) for a in node.arguments or ()]))
        return int(bound)

    def _first(self, field: GraphQLField, node: FieldNode) -> int:
        """`first`, or `last` for a connection paged backward (the larger if both: the field refuses that)."""
        sizes = [self._page_size(field, node, name) for name in ("first", "last") if name in field.args]
        given = [size for size in sizes if size is not None]
        return max(given) if given else self.max_page_size

    def _page_size(self, field: GraphQLField, node: FieldNode, name: str) -> int | None:
        given = next((a.value for a in node.arguments or () if a.name.value == name), None)
        value = self._argument(given) if given is not None else field.args[name].default_value
        if value is None or value is Undefined:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            return self.max_page_size  # not a number: the PageSize scalar refuses it next
        return min(max(value, 0), self.max_page_size)

    def _argument(self, node: Any) -> Any:
        return value_from_ast_untyped(node, self.variables)


def estimate_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    max_page_size: int,
) -> int:
    """The cost of the operation that would run (the largest, when the name picks none or several)."""
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    return max(
        (CostEstimate(schema, document, op, variables, max_page_size).cost for op in operations),
        default=0,
    )
