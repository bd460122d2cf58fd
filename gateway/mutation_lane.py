"""The short way through the gateway for the commonest writes: a mutation of one root field that
asks only for plain fields of what it returns, `data: appendManyAssets(data: $data, where: $where)
{ id }` being the archetype (every mutation the Kili SDK sends has this shape).

Its resolver is the one the usual way runs, called the way graphql-core calls it (`field.resolve`:
the argument checks of `schema.input_checks`, Strawberry's argument conversion and field extensions,
then the resolver, which writes in one transaction as always). What the lane leaves out is what
graphql-core and Strawberry spend around it, which grows with the size of the batch:
- the variables' coercion, item by item: they are taken as they are when their JSON already holds
  the exact types (`gateway.plain_variables`);
- the answer's completion, object by object and field by field, each through a resolver: here the
  plan knows the leaf fields asked for, plain attributes of built-in scalar or enum types, and reads
  them off each object;
- Strawberry's view and its execution's extensions: the lane applies the same limits
  (`gateway.limits.extension.checked_document`) and validation (once per document).

For `appendManyAssets` of 100 assets (`bench/compare` W4) the gateway's CPU per call went from
~8.4 ms to ~2.8 ms, of which the INSERT's arrays through asyncpg are now the largest part.

Whatever it is not sure of, it declines, and the request goes the usual way, which answers or
refuses it as before: a document with fragments, directives, several root fields, a variable's
default, or anything but plain leaf fields under the root field; variables that need coercion; a key
that does not authenticate; a document over the limits. Once the resolver has run, the lane answers
whatever happened: an error the resolver raised is answered as the usual way answers it (located on
the root field, coded by `schema.extensions.coded_error`); a value the plan cannot complete (a null
for a non-null field: a bug) is an INTERNAL error on the root field rather than on the leaf.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    located_error,
)
from graphql.execution.get_variable_signature import GraphQLVariableSignature, get_variable_signature
from graphql.execution.values import VariableValues, VariableValueSource, get_argument_values
from graphql.pyutils import Path
from strawberry.types import ExecutionResult

from gateway.auth import Viewer
from gateway.errors import GatewayError
from gateway.limits.document import parse_document
from gateway.limits.extension import checked_document
from gateway.metrics import MUTATION_LANE, note_operation
from gateway.plain_variables import plain_variables
from schema.extensions import coded_error, validation_errors

if TYPE_CHECKING:
    from starlette.requests import Request
    from strawberry.http import GraphQLRequestData

    from gateway.context import RequestContext
    from gateway.settings import Settings

PLAN_CACHE_SIZE = 256
MISSING = object()


@dataclass(frozen=True)
class Leaf:
    """A leaf field of the answer: its response key, and how its value is read off an object of
    type `typename` (`attribute`; None for `__typename`, whose value is `typename`)."""

    key: str
    attribute: str | None
    serialize: Callable[[Any], Any]
    non_null: bool
    typename: str = ""


@dataclass(frozen=True)
class MutationPlan:
    """How the lane answers one document: the root field, its variables, and the shape of its answer."""

    operation: OperationDefinitionNode
    node: FieldNode
    field: GraphQLField
    key: str  # the root field's response key (`data` for the Kili SDK)
    variables: tuple[GraphQLVariableSignature, ...]
    root_non_null: bool
    many: bool  # a list of objects (or of leaf values)
    items_non_null: bool
    leaves: tuple[Leaf, ...] | None  # None: the field's value is itself a leaf (`root_leaf`)
    root_leaf: Callable[[Any], Any] | None

    def completed(self, value: Any) -> Any:
        """The root field's answer, from what its resolver returned."""
        if value is None:
            if self.root_non_null:
                raise TypeError(f"Cannot return null for non-nullable field Mutation.{self.field_name}.")
            return None
        if not self.many:
            return self._item(value)
        return [self._item(item) for item in value]

    @property
    def field_name(self) -> str:
        return self.node.name.value

    def _item(self, value: Any) -> Any:
        if value is None:  # an item of a list (`completed` answered a null root field)
            if self.items_non_null:
                raise TypeError(f"Cannot return null for non-nullable items of Mutation.{self.field_name}.")
            return None
        if self.root_leaf is not None:
            return self.root_leaf(value)
        answer = {}
        for leaf in self.leaves or ():
            if leaf.attribute is None:
                answer[leaf.key] = leaf.typename
                continue
            field_value = getattr(value, leaf.attribute)
            if field_value is None:
                if leaf.non_null:
                    raise TypeError(f"Cannot return null for non-nullable field {leaf.typename}.{leaf.key}.")
                answer[leaf.key] = None
            else:
                answer[leaf.key] = leaf.serialize(field_value)
        return answer


class MutationLane:
    """Answers the mutations it covers, or declines them (see the module docstring)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        settings: Settings,
        request_context: Callable[[Request], Awaitable[RequestContext]],
    ) -> None:
        self._schema = schema
        self._settings = settings
        self._request_context = request_context
        self._plans: LRUCache[tuple[str, str | None], MutationPlan | None] = LRUCache(PLAN_CACHE_SIZE)

    def plan(self, query: str, operation_name: str | None) -> MutationPlan | None:
        """The cached plan of a document, or None when the lane does not cover it."""
        key = (query, operation_name)
        plan = self._plans.get(key, MISSING)
        if plan is MISSING:
            plan = self._plans[key] = self._make_plan(query, operation_name)
        return plan

    def _make_plan(self, query: str, operation_name: str | None) -> MutationPlan | None:
        settings = self._settings
        try:
            document = parse_document(query, settings.max_tokens, settings.max_depth)
        except (GraphQLError, GatewayError):
            return None
        if validation_errors(self._schema, document):
            return None
        return plan_mutation(self._schema, document, operation_name)

    async def answer(
        self, request: Request, operation: GraphQLRequestData, plan: MutationPlan
    ) -> str | ExecutionResult | None:
        """The answer to `operation`, whose plan is `plan`: its JSON text, or the result holding the
        resolver's error, or None when the lane declines (nothing was written)."""
        ctx = await self._request_context(request)
        viewer = ctx.auth
        if not isinstance(viewer, Viewer):
            return None
        variables = operation.variables or {}
        try:
            checked_document(operation.query, operation.operation_name, variables, viewer, self._schema, self._settings)
            coerced = plain_variables(plan.variables, variables)
            if coerced is None:
                return None
            sources = {v.name: VariableValueSource(v, variables[v.name]) for v in plan.variables}
            values = VariableValues(sources, coerced)
            arguments = get_argument_values(plan.field, plan.node, values)
        except (GatewayError, GraphQLError):
            return None  # the usual way refuses it with its own error
        note_operation(operation.query, operation.operation_name, MUTATION_LANE, "mutation")
        try:
            value = plan.field.resolve(None, self._info(plan, ctx, values), **arguments)
            if inspect.isawaitable(value):
                value = await value
            return json.dumps({"data": {plan.key: plan.completed(value)}}, separators=(",", ":"))
        except Exception as exc:
            error = located_error(exc, [plan.node], [plan.key])
            data = None if plan.root_non_null else {plan.key: None}
            return ExecutionResult(data=data, errors=[coded_error(error, ctx.request_id)])

    def _info(self, plan: MutationPlan, ctx: RequestContext, variables: VariableValues) -> GraphQLResolveInfo:
        """What graphql-core's executor passes a root mutation field's resolver."""
        mutation_type = self._schema.mutation_type
        assert mutation_type is not None
        return GraphQLResolveInfo(
            plan.field_name,
            [plan.node],
            plan.field.type,
            mutation_type,
            Path(None, plan.key, mutation_type.name),
            self._schema,
            {},
            None,
            plan.operation,
            variables,
            ctx,
            inspect.isawaitable,
            None,
            None,
        )


def plan_mutation(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> MutationPlan | None:
    """The plan of a valid document, or None when the lane does not cover it."""
    if not all(isinstance(definition, OperationDefinitionNode) for definition in document.definitions):
        return None  # fragments
    operation = get_operation_ast(document, operation_name)
    mutation_type = schema.mutation_type
    if operation is None or operation.operation != OperationType.MUTATION or operation.directives:
        return None
    if mutation_type is None or len(operation.selection_set.selections) != 1:
        return None
    node = operation.selection_set.selections[0]
    if not isinstance(node, FieldNode) or node.directives or node.name.value == "__typename":
        return None
    variables = []
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None or definition.directives:
            return None
        signature = get_variable_signature(schema, definition)
        if isinstance(signature, GraphQLError):
            return None
        variables.append(signature)
    field = mutation_type.fields[node.name.value]
    root_non_null, named = _unwrapped(field.type)
    many = isinstance(named, GraphQLList)
    items_non_null = False
    if many:
        items_non_null, named = _unwrapped(named.of_type)
    key = node.alias.value if node.alias else node.name.value
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        if node.selection_set is not None:
            return None
        leaves, root_leaf = None, named.serialize
    elif isinstance(named, GraphQLObjectType) and node.selection_set is not None:
        leaves, root_leaf = _leaves(named, node), None
        if leaves is None:
            return None
    else:
        return None  # an interface, a union, a list of lists
    return MutationPlan(
        operation, node, field, key, tuple(variables), root_non_null, many, items_non_null, leaves, root_leaf
    )


def _unwrapped(type_: Any) -> tuple[bool, Any]:
    if isinstance(type_, GraphQLNonNull):
        return True, type_.of_type
    return False, type_


def _leaves(object_type: GraphQLObjectType, node: FieldNode) -> tuple[Leaf, ...] | None:
    """The selection under the root field as plain leaves, or None when any of it needs a resolver
    (a field with arguments, a resolver or extensions of its own, an object, a fragment, a directive)."""
    leaves = []
    assert node.selection_set is not None
    for selection in node.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives or selection.arguments:
            return None
        name = selection.name.value
        key = selection.alias.value if selection.alias else name
        if name == "__typename":
            leaves.append(Leaf(key, None, str, True, object_type.name))
            continue
        field = object_type.fields[name]
        non_null, named = _unwrapped(field.type)
        definition = field.extensions.get("strawberry-definition")
        plain = (
            definition is not None
            and definition.base_resolver is None
            and not definition.extensions
            and not definition.permission_classes
        )
        if not plain or not isinstance(named, GraphQLScalarType | GraphQLEnumType) or selection.selection_set:
            return None
        leaves.append(Leaf(key, definition.python_name, named.serialize, non_null, object_type.name))
    return tuple(leaves)
