"""The raw floor: labelgate's SQL for each workload, straight through an asyncpg pool, and the same
JSON built with the json module. No GraphQL, no ORM: what is left is the HTTP server (the same uvicorn
labelgate runs on), the database round trips and the JSON, so the gap between labelgate and this is
what the gateway's own Python costs.

It takes labelgate's request bodies and headers unchanged, recognises the workload by the document's
text, and issues the statements labelgate issued for it when this was written (captured with
`log_statement = all`), in the same order and transaction shape: BEGIN, the API-key lookup, the
workload's statements, ROLLBACK (reads) or COMMIT (W4). W1 is 7 statements (page, labels of the page,
their projects, their authors), W2 and W3 are 4, W4 is 7. The viewer is a project member (not an
organization admin), so the visibility subqueries are the member form. jsonb comes back from asyncpg
as its text and is passed through as the `jsonResponse` string (what labelgate's answer holds, as a
string, after its decode and re-encode).

Run by the harness as `python -m uvicorn --factory bench.compare.floor:app_from_env --port N`, with
the database DSN (postgresql://...) in FLOOR_DATABASE_URL.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import asyncpg

from bench.compare.workloads import LG_W1, LG_W2, LG_W3, LG_W4
from schema.timefmt import iso

AUTH = """SELECT api_key.id, api_key.expires_at, api_key.revoked, app_user.id AS id_1, app_user.email, \
app_user.organization_id, app_user.is_org_admin, app_user.activated
FROM api_key JOIN app_user ON app_user.id = api_key.user_id
WHERE api_key.key_hash = $1::VARCHAR"""
MEMBER_PROJECTS = "SELECT project_member.project_id FROM project_member WHERE project_member.user_id = $2::VARCHAR"
ASSET_COLUMNS = """asset.id, asset.project_id, asset.external_id, asset.content, asset.storage_key, asset.mime_type, \
asset.size_bytes, asset.width, asset.height, asset.json_metadata, asset.json_content, asset.status, asset.priority, \
asset.is_honeypot, asset.is_used_for_consensus, asset.honeypot_mark, asset.consensus_mark, asset.inference_mark, \
asset.skipped, asset.skip_reason, asset.session_id, asset.timestamp, asset.sensor, asset.tags, asset.created_at, \
asset.updated_at"""
PAGE = f"""SELECT {ASSET_COLUMNS}
FROM asset
WHERE $1::VARCHAR IN ({MEMBER_PROJECTS}) AND asset.project_id = $3::VARCHAR \
AND $4::VARCHAR IN (SELECT project.id FROM project WHERE project.id = $5::VARCHAR) \
ORDER BY asset.created_at ASC, asset.id ASC
LIMIT $6::INTEGER OFFSET $7::INTEGER"""
LABELS = """SELECT label.id, label.asset_id, label.project_id, label.author_id, label.label_type, label.json_response, \
label.seconds_to_label, label.model_name, label.consensus_mark, label.honeypot_mark, label.created_at
FROM label
WHERE label.asset_id = ANY ($1::VARCHAR[]) ORDER BY label.created_at, label.id"""
PROJECTS = """SELECT project.id, project.organization_id, project.title, project.description, project.input_type, \
project.json_interface, project.instructions, project.tags, project.archived, project.starred, project.created_at, \
project.updated_at
FROM project
WHERE project.id = ANY ($1::VARCHAR[]) AND project.id IN (SELECT project_member.project_id
FROM project_member
WHERE project_member.user_id = $2::VARCHAR)"""
USERS = """SELECT app_user.id, app_user.organization_id, app_user.email, app_user.firstname, app_user.lastname, \
app_user.is_org_admin, app_user.activated, app_user.created_at
FROM app_user
WHERE app_user.id = ANY ($1::VARCHAR[])"""
ONE_ASSET = f"""SELECT {ASSET_COLUMNS}
FROM asset
WHERE asset.id = $1::VARCHAR AND asset.project_id IN ({MEMBER_PROJECTS})"""
COUNT = f"""SELECT count(*) AS count_1
FROM asset
WHERE $1::VARCHAR IN ({MEMBER_PROJECTS}) AND asset.project_id = $3::VARCHAR \
AND $4::VARCHAR IN (SELECT project.id FROM project WHERE project.id = $5::VARCHAR) \
AND (asset.json_metadata @> $6::JSONB)"""
TARGET_PROJECT = """SELECT project.id, project.input_type
FROM project
WHERE project.id IN (SELECT project_member.project_id
FROM project_member
WHERE project_member.user_id = $1::VARCHAR) AND project.id = $2::VARCHAR
 LIMIT $3::INTEGER"""
ROLES = """SELECT project.id, project.organization_id, project_member.role
FROM project LEFT OUTER JOIN project_member ON project_member.project_id = project.id \
AND project_member.user_id = $1::VARCHAR
WHERE project.id = ANY ($2::VARCHAR[])"""
ARCHIVED = """SELECT project.id, project.archived
FROM project
WHERE project.id = ANY ($1::VARCHAR[]) ORDER BY project.id FOR SHARE"""
INSERT_COLUMNS = ("id", "project_id", "external_id", "json_metadata", "content", "created_at", "updated_at")
INSERT_TYPES = ("VARCHAR",) * 3 + ("JSONB", "VARCHAR") + ("TIMESTAMP WITH TIME ZONE",) * 2


class Refused(Exception):
    """A request the floor answers with a GraphQL-shaped error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@lru_cache(maxsize=8)
def insert_statement(rows: int) -> str:
    """labelgate's multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING id, for `rows` rows."""
    width = len(INSERT_COLUMNS)
    values = ", ".join(
        "(" + ", ".join(f"${r * width + c + 1}::{INSERT_TYPES[c]}" for c in range(width)) + ")" for r in range(rows)
    )
    return f"INSERT INTO asset ({', '.join(INSERT_COLUMNS)}) VALUES {values} ON CONFLICT DO NOTHING RETURNING asset.id"


async def viewer(conn: asyncpg.Connection, key: str | None) -> asyncpg.Record:
    row = await conn.fetchrow(AUTH, hashlib.sha256((key or "").encode()).hexdigest())
    if row is None or row["revoked"] or not row["activated"] or row["expires_at"] <= datetime.now(UTC):
        raise Refused("UNAUTHENTICATED", "Unknown, revoked or expired API key.")
    return row


async def w1(conn: asyncpg.Connection, user: asyncpg.Record, variables: dict) -> dict:
    project = variables["where"]["project"]["id"]
    assets = await conn.fetch(PAGE, project, user["id_1"], project, project, project, 100, 0)
    ids = [a["id"] for a in assets]
    labels = await conn.fetch(LABELS, ids)
    projects = await conn.fetch(PROJECTS, sorted({a["project_id"] for a in assets}), user["id_1"])
    authors = await conn.fetch(USERS, sorted({label["author_id"] for label in labels}))
    by_user = {u["id"]: {"id": u["id"], "email": u["email"]} for u in authors}
    by_project = {p["id"]: {"id": p["id"], "title": p["title"]} for p in projects}
    by_asset: dict[str, list[dict]] = {asset_id: [] for asset_id in ids}
    for label in labels:
        by_asset[label["asset_id"]].append(
            {
                "id": label["id"],
                "jsonResponse": label["json_response"],
                "createdAt": iso(label["created_at"]),
                "author": by_user[label["author_id"]],
            }
        )
    return {
        "assets": [{"id": a["id"], "labels": by_asset[a["id"]], "project": by_project[a["project_id"]]} for a in assets]
    }


async def w2(conn: asyncpg.Connection, user: asyncpg.Record, variables: dict) -> dict:
    row = await conn.fetchrow(ONE_ASSET, variables["id"], user["id_1"])
    if row is None:
        raise Refused("NOT_FOUND", "No such asset.")
    return {"asset": {"id": row["id"], "status": row["status"], "externalId": row["external_id"]}}


async def w3(conn: asyncpg.Connection, user: asyncpg.Record, variables: dict) -> dict:
    where = variables["where"]
    project = where["project"]["id"]
    count = await conn.fetchval(COUNT, project, user["id_1"], project, project, project, json.dumps(where["metadata"]))
    return {"countAssets": count}


async def w4(conn: asyncpg.Connection, user: asyncpg.Record, variables: dict) -> dict:
    data, project_id = variables["data"], variables["where"]["id"]
    targets = await conn.fetch(TARGET_PROJECT, user["id_1"], project_id, 2)
    if len(targets) != 1:
        raise Refused("NOT_FOUND", "No such project.")
    roles = await conn.fetch(ROLES, user["id_1"], [project_id])
    if not user["is_org_admin"] and roles[0]["role"] not in ("ADMIN", "TEAM_MANAGER"):
        raise Refused("FORBIDDEN", "Needs TEAM_MANAGER.")
    if (await conn.fetch(ARCHIVED, [project_id]))[0]["archived"]:
        raise Refused("FORBIDDEN", "Archived project.")
    now = datetime.now(UTC)
    params: list[Any] = []
    ids = data["idArray"]
    for k, asset_id in enumerate(ids):
        metadata = data["jsonMetadataArray"][k]
        if not isinstance(json.loads(metadata), dict):
            raise Refused("BAD_USER_INPUT", f"Item {k}: jsonMetadata is not a JSON object.")
        created = now + timedelta(microseconds=k)
        external, content = data["externalIDArray"][k], data["contentArray"][k]
        params += [asset_id, project_id, external, metadata, content, created, created]
    inserted = await conn.fetch(insert_statement(len(ids)), *params)
    if len(inserted) != len(ids):
        raise Refused("CONFLICT", "Some ids or external ids are taken.")
    return {"data": [{"id": asset_id} for asset_id in ids]}


HANDLERS = {LG_W1: (w1, False), LG_W2: (w2, False), LG_W3: (w3, False), LG_W4: (w4, True)}


def api_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"authorization":
            text = value.decode().strip()
            if text.lower().startswith("x-api-key:"):
                return text.split(":", 1)[1].strip()
    return None


async def answer(pool: asyncpg.Pool, request: dict, key: str | None) -> dict:
    handler, writes = HANDLERS[request["query"]]
    async with pool.acquire() as conn:
        await conn.execute("BEGIN")
        try:
            user = await viewer(conn, key)
            data = await handler(conn, user, request.get("variables") or {})
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT" if writes else "ROLLBACK")
    return {"data": data}


class Floor:
    """The ASGI app: POST /graphql only, plus GET /healthz."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.pool: asyncpg.Pool | None = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["path"] == "/healthz":
            await respond(send, 200, b"ok")
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        try:
            assert self.pool is not None
            result = await answer(self.pool, json.loads(b"".join(chunks)), api_key(scope["headers"]))
        except Refused as refused:
            result = {"data": None, "errors": [{"message": str(refused), "extensions": {"code": refused.code}}]}
        await respond(send, 200, json.dumps(result).encode())

    async def lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.pool = await asyncpg.create_pool(self.dsn, min_size=2, max_size=10)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.pool is not None:
                    await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def respond(send: Any, status: int, payload: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def app_from_env() -> Floor:
    return Floor(os.environ["FLOOR_DATABASE_URL"])
