"""Metadata writes in bulk (capability map §3 R6): `updateAssetsMetadata` and `removeMetadataKey`.

The new metadata is computed by PostgreSQL from the row's current value, in one UPDATE: nothing is
read into Python and written back, so two callers setting different keys on the same assets never
lose each other's key (Kili 26.x `add_metadata` merges on the client and races). The matched assets
are first locked in id order (`workflow.lock_assets`, the order every writer of asset rows uses), so
concurrent calls wait for each other instead of deadlocking, and the UPDATE of each then reads the
value the previous one committed.

MERGE (the default) builds the new object from three things:
- `set` keys: a key's value replaces what is at that key; a dotted key ("camera.position.x",
  resolvers/filters/metadata_keys.py) descends into nested objects, creating the missing ones and
  keeping their other keys (a value on the way that is not an object is replaced by one);
- `unset` keys: removed (a key already absent is no change); dotted keys descend;
- every other key is kept as it is.
A key may not be both set and unset, nor be set through a key that is also set or unset ("a" with
"a.b"): BAD_USER_INPUT, as that would depend on an order the call does not have.
REPLACE writes `set` as the whole metadata object (dotted keys still nest), as
`updatePropertiesInAssets(jsonMetadata)` does; `unset` has no meaning there.

In SQL, for `set` = {"weather": "rain", "camera.id": 7, "camera.lens.mm": 35} the new value is

    obj(m) || '{"weather":"rain"}' || jsonb_build_object('camera',
        obj(m #> '{camera}') || '{"id":7}' || jsonb_build_object('lens',
            obj(m #> '{camera,lens}') || '{"mm":35}'))

where obj(x) is x when it is an object, else `{}`; each `unset` key then applies `#- path` (with an
empty path, a no-op, when the original value has nothing there, so a path that crosses an array or
scalar never raises). The expression grows with the number of keys, not the number of assets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.types import Text

from gateway.context import RequestContext
from gateway.db.models import Asset, utcnow
from gateway.errors import BadUserInput
from resolvers.archive import require_writable
from resolvers.arrays import any_id
from resolvers.filters.asset_where import asset_conditions, compile_asset_where, has_conditions
from resolvers.filters.metadata_keys import key_path
from resolvers.json_strings import json_value_problem, parse_json_object
from resolvers.roles import minimum_role, require_role
from resolvers.set_writes import sample_key
from resolvers.transactions import write_transaction
from resolvers.workflow import (
    MAX_ASSETS_PER_CALL,
    LockedAsset,
    Outcome,
    lock_assets,
    lock_matched_assets,
    unmatched_named_assets,
)
from schema.inputs.where import AssetWhere

# Dotted `set` keys plus `unset` keys in one call: each adds to the size of the UPDATE expression.
MAX_PATH_KEYS = 100

MERGE = "MERGE"
REPLACE = "REPLACE"


@dataclass
class _Node:
    """The `set` keys below one path: plain values (`leaves`) and nested objects to merge into (`branches`)."""

    leaves: dict[str, Any] = field(default_factory=dict)
    branches: dict[str, _Node] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """The object these keys make on their own (REPLACE)."""
        return {**self.leaves, **{key: branch.document() for key, branch in self.branches.items()}}


@dataclass(frozen=True)
class MetadataWrite:
    """A validated `updateAssetsMetadata` request: the set keys as a tree, the unset paths, the mode."""

    tree: _Node
    unset: list[list[str]]
    mode: str

    def new_value(self, column: Any) -> ColumnElement[Any]:
        """The new metadata of a row, as an expression over its current value `column`."""
        if self.mode == REPLACE:
            return literal(self.tree.document(), JSONB)
        value = _merged(column, self.tree, [])
        for path in self.unset:
            present = column.op("#>", return_type=JSONB)(_path(path)).is_not(None)
            value = value.op("#-", return_type=JSONB)(case((present, _path(path)), else_=_path([])))
        return value


def parse_metadata_write(set_value: Any, unset: list[str] | None, mode: str) -> MetadataWrite:
    """Checks `set`, `unset` and `mode` together (BAD_USER_INPUT naming the argument) before any SQL."""
    document = _set_document(set_value)
    unset = unset or []
    if mode == REPLACE:
        if document is None:
            raise BadUserInput('set: REPLACE writes `set` as the whole metadata; give it ("{}" empties the metadata).')
        if unset:
            raise BadUserInput("unset: REPLACE already drops every key `set` does not have; leave unset out.")
    elif not document and not unset:
        raise BadUserInput("Nothing to write: give `set` keys, `unset` keys, or both.")
    document = document or {}
    paths = {key: key_path(key, f"set['{key}']") for key in document}
    unset_paths = [key_path(key, f"unset[{i}]") for i, key in enumerate(unset)]
    if mode == MERGE and sum(len(p) > 1 for p in paths.values()) + len(unset_paths) > MAX_PATH_KEYS:
        raise BadUserInput(f"set and unset: at most {MAX_PATH_KEYS} dotted and unset keys in one call.")
    tree = _Node()
    for key, path in paths.items():
        _insert(tree, path, document[key], key)
    return MetadataWrite(tree, _unset_paths(unset_paths, paths), mode)


async def update_assets_metadata(
    ctx: RequestContext, where: AssetWhere, write: MetadataWrite, limit: int | None, seed: int
) -> Outcome:
    """Writes `write` into the metadata of the matched assets (at most `limit` of them, a pseudo-random
    sample fixed by `seed`, as addAssetsToSet samples). Statements: lock, roles, archive check, UPDATE
    (+ the lookup of named assets the call did not act on, when there are some), whatever the number
    of assets."""
    async with write_transaction(ctx):
        assets = await lock_curated_assets(
            ctx, where, "updateAssetsMetadata", "update asset metadata", limit=limit, seed=seed
        )
        if assets:
            new_value = write.new_value(Asset.json_metadata)
            # An asset whose metadata would not change is left alone (its updatedAt too), as tag writes do.
            await ctx.execute(
                update(Asset)
                .where(any_id(Asset.id, [a.id for a in assets]), Asset.json_metadata.is_distinct_from(new_value))
                .values(json_metadata=new_value, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        return await curation_outcome(ctx, where, assets)


async def lock_curated_assets(
    ctx: RequestContext, where: AssetWhere, mutation: str, action: str, *, limit: int | None = None, seed: int = 0
) -> list[LockedAsset]:
    """The assets a curation write acts on, locked in id order, after the checks every such write
    makes: `where` has a condition, matches at most MAX_ASSETS_PER_CALL assets (or `limit` samples
    them by `seed`), the viewer holds `mutation`'s role in every matched asset's project (FORBIDDEN)
    and none is archived (LOCKED)."""
    if limit is not None and not 0 <= limit <= MAX_ASSETS_PER_CALL:
        raise BadUserInput(f"limit must be between 0 and {MAX_ASSETS_PER_CALL}, got {limit}.")
    if limit is None:
        assets = await lock_matched_assets(ctx, where)
    else:
        if not has_conditions(asset_conditions(where)):
            raise BadUserInput(
                "where selects every asset you may see: give at least one condition (e.g. idIn or project)."
            )
        condition = compile_asset_where(where, ctx.viewer)
        sample = select(Asset.id).where(condition).order_by(sample_key(seed)).limit(limit).cte("sample")
        assets = await lock_assets(ctx, and_(condition, Asset.id.in_(select(sample.c.id))), limit=limit)
    projects = {a.project_id for a in assets}
    await require_role(ctx, projects, minimum_role(mutation), action)
    await require_writable(ctx, projects)
    return assets


async def curation_outcome(ctx: RequestContext, where: AssetWhere, assets: list[LockedAsset]) -> Outcome:
    """Every asset acted on succeeded (a curation write is idempotent: the asset ends up as asked);
    what `where` names and the call did not act on is declined."""
    unmatched = await unmatched_named_assets(ctx, where, assets)
    return Outcome(
        succeeded=[a.key for a in assets],
        declined=[u.key for u in unmatched],
        changed_projects={a.id: a.project_id for a in assets},
    )


async def remove_metadata_key(ctx: RequestContext, project_id: str, key: str) -> int:
    """Removes `key` (dotted: a nested key) from the metadata of every asset of the project that has
    it (SceneBox `remove_key_from_index`) and answers how many assets changed. TEAM_MANAGER in the
    project, LOCKED when archived. One statement locks the assets that have the key in id order and
    updates them; it is not capped, as the project is the unit here."""
    path = key_path(key, "key")
    async with write_transaction(ctx):
        await require_role(ctx, [project_id], minimum_role("removeMetadataKey"), "remove metadata keys")
        await require_writable(ctx, [project_id])
        having = (
            select(Asset.id)
            .where(
                Asset.project_id == project_id,
                Asset.json_metadata.op("#>", return_type=JSONB)(_path(path)).is_not(None),
            )
            .order_by(Asset.id)
            .with_for_update(of=Asset.__table__)
            .cte("having_key")
        )
        result = await ctx.execute(
            update(Asset)
            .where(Asset.id == having.c.id)
            .values(json_metadata=Asset.json_metadata.op("#-", return_type=JSONB)(_path(path)), updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _set_document(value: Any) -> dict[str, Any] | None:
    """`set` as an object: given as a JSON object, or as a JSON-encoded object string (Kili's `json*`
    convention); null or absent is None."""
    if value is None:
        return None
    if isinstance(value, str):
        return parse_json_object(value, "set")
    if not isinstance(value, dict):
        raise BadUserInput(f"set must be a JSON object {{key: value}}, got {type(value).__name__}.")
    problem = json_value_problem(value)
    if problem is not None:
        raise BadUserInput(f"set: {problem}")
    return value


def _insert(tree: _Node, path: list[str], value: Any, key: str) -> None:
    node = tree
    for depth, segment in enumerate(path[:-1]):
        if segment in node.leaves:
            _conflict(key, ".".join(path[: depth + 1]))
        node = node.branches.setdefault(segment, _Node())
    last = path[-1]
    if last in node.leaves or last in node.branches:
        _conflict(key, ".".join(path))
    node.leaves[last] = value


def _unset_paths(unset: list[list[str]], set_paths: dict[str, list[str]]) -> list[list[str]]:
    """The unset paths, each once, without those below another unset path (already removed with it);
    BAD_USER_INPUT for one that is, contains or lies below a `set` key."""
    kept: list[list[str]] = []
    for path in sorted(unset, key=len):
        if any(path[: len(k)] == k for k in kept):
            continue
        for key, set_path in set_paths.items():
            shorter = min(len(path), len(set_path))
            if path[:shorter] == set_path[:shorter]:
                raise BadUserInput(f"unset: '{'.'.join(path)}' overlaps set key '{key}'; a key is either set or unset.")
        kept.append(path)
    return kept


def _conflict(key: str, other: str) -> None:
    raise BadUserInput(f"set['{key}']: '{other}' is also set by another key; each key may be written once.")


def _path(path: list[str]) -> ColumnElement[Any]:
    return literal(path, ARRAY(Text))


def _object_at(column: Any, path: list[str]) -> ColumnElement[Any]:
    """The value at `path` when it is an object, else `{}`."""
    value = column if not path else column.op("#>", return_type=JSONB)(_path(path))
    return case((func.jsonb_typeof(value) == "object", value), else_=literal({}, JSONB))


def _merged(column: Any, node: _Node, path: list[str]) -> ColumnElement[Any]:
    value = _object_at(column, path)
    if node.leaves:
        value = value.op("||", return_type=JSONB)(literal(node.leaves, JSONB))
    if node.branches:
        pairs: list[Any] = []
        for key, branch in node.branches.items():
            pairs += [literal(key, Text), _merged(column, branch, [*path, key])]
        value = value.op("||", return_type=JSONB)(func.jsonb_build_object(*pairs, type_=JSONB))
    return value
