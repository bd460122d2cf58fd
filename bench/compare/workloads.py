"""The four workloads: labelgate's documents, their PostGraphile equivalents, and the request bodies.

labelgate and the floor receive the very same bodies (the floor recognises the document by its
text); PostGraphile gets its own document for the same question. PostGraphile's amber preset names
a table's `id` column `rowId` (`id` is its global Node id), a forward relation `projectByProjectId`,
a backward one `labelsByAssetId`; W3 uses the `jsonMetadataContains` condition that
postgraphile_server.mjs adds (`json_metadata @> value`, the predicate labelgate compiles to).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

LG_W1 = """query W1($where: AssetWhere!) {
  assets(where: $where, first: 100, skip: 0) {
    id labels { id jsonResponse createdAt author { id email } } project { id title } } }"""
LG_W2 = "query W2($id: ID!) { asset(id: $id) { id status externalId } }"
LG_W3 = "query W3($where: AssetWhere!) { countAssets(where: $where) }"
LG_W4 = """mutation W4($data: AppendManyAssetsData!, $where: ProjectWhere!) {
  data: appendManyAssets(data: $data, where: $where) { id } }"""

PG_W1 = """query W1($project: String!) {
  allAssets(condition: {projectId: $project}, orderBy: [CREATED_AT_ASC, ROW_ID_ASC], first: 100, offset: 0) {
    nodes {
      rowId
      labelsByAssetId(orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) {
        nodes { rowId jsonResponse createdAt appUserByAuthorId { rowId email } } }
      projectByProjectId { rowId title } } } }"""
PG_W2 = "query W2($id: String!) { assetByRowId(rowId: $id) { rowId status externalId } }"
PG_W3 = """query W3($project: String!, $metadata: JSON!) {
  allAssets(condition: {projectId: $project, jsonMetadataContains: $metadata}) { totalCount } }"""

W3_METADATA = {"weather": "rain"}
APPEND_BATCH = 100


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    writes: bool = False  # W4: appends, so PostGraphile sits it out and the harness cleans up after


WORKLOADS = [
    Workload("W1", "page of 100 assets + labels{id jsonResponse createdAt author{id email}} + project{id title}"),
    Workload("W2", "asset(id){id status externalId}, cycling over asset ids"),
    Workload("W3", "countAssets, project + metadata equality (weather = rain)"),
    Workload("W4", f"appendManyAssets, {APPEND_BATCH} assets per call", writes=True),
]


def body(query: str, variables: dict) -> str:
    return json.dumps({"query": query, "variables": variables})


def read_bodies(workload: str, postgraphile: bool, project_id: str, asset_ids: list[str]) -> list[str]:
    """The request bodies of a read workload (several for W2, which cycles through ids)."""
    if workload == "W1":
        return [body(PG_W1, {"project": project_id}) if postgraphile else body(LG_W1, _where(project_id))]
    if workload == "W2":
        if postgraphile:
            return [body(PG_W2, {"id": asset_id}) for asset_id in asset_ids]
        return [body(LG_W2, {"id": asset_id}) for asset_id in asset_ids]
    if workload == "W3":
        if postgraphile:
            return [body(PG_W3, {"project": project_id, "metadata": W3_METADATA})]
        return [body(LG_W3, {"where": {**_where(project_id)["where"], "metadata": W3_METADATA}})]
    raise ValueError(workload)


def _where(project_id: str) -> dict:
    return {"where": {"project": {"id": project_id}}}


def append_body(project_id: str, prefix: str, batch: int = APPEND_BATCH) -> str:
    """One appendManyAssets call as the Kili SDK sends it; wrk's Lua script (load.py) builds the same
    shape with a counter in `prefix`. Ids and external ids start with `prefix`, so every call is new."""
    data = {
        "contentArray": [f"https://cdn.example.com/append/{prefix}-{k}.jpg" for k in range(batch)],
        "externalIDArray": [f"{prefix}-{k}" for k in range(batch)],
        "idArray": [f"w4{prefix}-{k}" for k in range(batch)],
        "isHoneypotArray": [False] * batch,
        "jsonContentArray": [""] * batch,
        "jsonMetadataArray": [json.dumps({"camera": f"cam{k % 4}", "frame": k}) for k in range(batch)],
    }
    return body(LG_W4, {"data": data, "where": {"id": project_id}})
