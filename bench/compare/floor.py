"""The raw floor: labelgate's SQL for each workload, straight through an asyncpg pool, with the JSON
around it built by hand and the json module. No GraphQL, no ORM: what is left is the HTTP server (the
same uvicorn labelgate runs on), the database round trips and the JSON, so the gap between labelgate
and this is what the gateway's own Python costs.

It takes labelgate's request bodies and headers unchanged, recognises the workload by the document's
text, and issues the statements labelgate issued for it when this was written (captured with
`log_statement = all`, after the query planner, the auth cache and autocommit reads went in): reads
are one statement each, on an autocommit connection, whose JSON PostgreSQL builds (the floor wraps
it in `{"data": ...}`); W4 is BEGIN, the writable-target statement (project, role, archive flag, FOR
SHARE), the unnest() INSERT and COMMIT. API keys are remembered per process for 10 s, as labelgate's
auth cache does by default, so a key costs a lookup only when it is new. The viewer is a project
member (not an organization admin), so the visibility subqueries are the member form. When
labelgate's statements change, these do not: compare the counts in the README.

Run by the harness as `python -m uvicorn --factory bench.compare.floor:app_from_env --port N`, with
the database DSN (postgresql://...) in FLOOR_DATABASE_URL.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bench.compare.workloads import LG_W1, LG_W2, LG_W3, LG_W4

AUTH_CACHE_SECONDS = 10.0
AUTH = """SELECT api_key.id, api_key.expires_at, api_key.revoked, app_user.id AS id_1, app_user.email, \
app_user.organization_id, app_user.is_org_admin, app_user.activated
FROM api_key JOIN app_user ON app_user.id = api_key.user_id
WHERE api_key.key_hash = $1::VARCHAR"""
TIME_ZONE, TIME_FORMAT = "UTC", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'
MEMBER = "SELECT project_member.project_id FROM project_member WHERE project_member.user_id"
PAGE = f"""SELECT CAST(json_build_object('assets', anon_1.r0) AS TEXT) AS json_build_object_1
FROM (SELECT (SELECT coalesce(json_agg(json_build_object('id', asset.id, 'labels', (SELECT \
coalesce(json_agg(json_build_object('id', label_1.id, 'jsonResponse', \
CAST(coalesce(label_1.json_response, CAST('{{}}' AS JSONB)) AS TEXT), 'createdAt', \
to_char(timezone($1::VARCHAR, label_1.created_at), $2::VARCHAR), 'author', \
(SELECT json_build_object('id', app_user_1.id, 'email', app_user_1.email) AS json_build_object_2
FROM app_user AS app_user_1
WHERE app_user_1.id = label_1.author_id
LIMIT $3::INTEGER)) ORDER BY label_1.created_at, label_1.id), '[]'::json) AS coalesce_2
FROM label AS label_1
WHERE label_1.asset_id = asset.id), 'project', \
(SELECT json_build_object('id', project_1.id, 'title', project_1.title) AS json_build_object_3
FROM project AS project_1
WHERE project_1.id = asset.project_id
LIMIT $4::INTEGER)) ORDER BY anon_2._n), '[]'::json) AS coalesce_1
FROM (SELECT asset.id AS id, row_number() OVER (ORDER BY asset.created_at ASC, asset.id ASC) AS _n
FROM asset
WHERE $5::VARCHAR IN ({MEMBER} = $6::VARCHAR) AND asset.project_id = $7::VARCHAR \
AND $8::VARCHAR IN (SELECT project.id FROM project WHERE project.id = $9::VARCHAR) \
ORDER BY asset.created_at ASC, asset.id ASC
LIMIT $10::BIGINT OFFSET $11::BIGINT) AS anon_2 JOIN asset ON asset.id = anon_2.id) AS r0) AS anon_1"""
ONE_ASSET = f"""SELECT CASE WHEN (anon_2.r0 IS NULL) THEN NULL \
ELSE CAST(json_build_object('asset', anon_2.r0) AS TEXT) END AS anon_1
FROM (SELECT (SELECT json_build_object('id', asset.id, 'status', asset.status, 'externalId', asset.external_id) \
AS json_build_object_1
FROM (SELECT asset.id AS id
FROM asset
WHERE asset.id = $1::VARCHAR AND asset.project_id IN ({MEMBER} = $2::VARCHAR)) AS anon_3 \
JOIN asset ON asset.id = anon_3.id
LIMIT $3::INTEGER) AS r0) AS anon_2"""
COUNT = f"""SELECT CAST(json_build_object('countAssets', anon_1.r0) AS TEXT) AS json_build_object_1
FROM (SELECT (SELECT count(*) AS count_1
FROM asset
WHERE $1::VARCHAR IN ({MEMBER} = $2::VARCHAR) AND asset.project_id = $3::VARCHAR \
AND $4::VARCHAR IN (SELECT project.id FROM project WHERE project.id = $5::VARCHAR) \
AND (asset.json_metadata @> $6::JSONB)) AS r0) AS anon_1"""
WRITABLE_TARGET = f"""SELECT project.id, project.input_type, project.organization_id, project.archived, \
project_member.role
FROM project LEFT OUTER JOIN project_member ON project_member.project_id = project.id \
AND project_member.user_id = $1::VARCHAR
WHERE project.id IN ({MEMBER} = $1::VARCHAR) AND project.id = $2::VARCHAR
LIMIT $3::INTEGER FOR SHARE OF project"""
_CREATED = "$2::timestamptz + (item.n - 1) * interval '1 microsecond'"
INSERT = f"""INSERT INTO asset (project_id, created_at, updated_at, "id", "external_id", "content", "json_metadata") \
SELECT $1::text, {_CREATED}, {_CREATED}, item."id", item."external_id", item."content", item."json_metadata" \
FROM unnest($3::text[], $4::text[], $5::text[], $6::jsonb[]) \
WITH ORDINALITY AS item("id", "external_id", "content", "json_metadata", n) ON CONFLICT DO NOTHING RETURNING asset.id"""


class Refused(Exception):
    """A request the floor answers with a GraphQL-shaped error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Viewers:
    """Key hash -> (viewer row, when it was read): a key confirmed less than AUTH_CACHE_SECONDS ago
    costs no statement, as in labelgate."""

    def __init__(self) -> None:
        self.known: dict[str, tuple[asyncpg.Record, float]] = {}

    async def get(self, conn: asyncpg.Connection, key: str | None) -> asyncpg.Record:
        key_hash = hashlib.sha256((key or "").encode()).hexdigest()
        entry = self.known.get(key_hash)
        if entry is None or time.monotonic() - entry[1] >= AUTH_CACHE_SECONDS:
            row = await conn.fetchrow(AUTH, key_hash)
            if row is None or row["revoked"] or not row["activated"]:
                raise Refused("UNAUTHENTICATED", "Unknown or revoked API key.")
            entry = self.known[key_hash] = (row, time.monotonic())
        if entry[0]["expires_at"] <= datetime.now(UTC):
            raise Refused("UNAUTHENTICATED", "This API key has expired.")
        return entry[0]


async def w1(conn: asyncpg.Connection, user: asyncpg.Record, variables: dict) -> str:
    project = variables["where"]["project"]["id"]
    user_id = user["id_1"]
    return await conn.fetchval(PAGE, TIME_ZONE, TIME_FORMAT, 1, 1, project, user_id, project, project, project, 100, 0)


async def w2(conn: asyncpg.Connection, user: asyncpg.Record, variables: dict) -> str:
    answer = await conn.fetchval(ONE_ASSET, variables["id"], user["id_1"], 1)
    if answer is None:
        raise Refused("NOT_FOUND", "No such asset.")
    return answer


async def w3(conn: asyncpg.Connection, user: asyncpg.Record, variables: dict) -> str:
    where = variables["where"]
    project = where["project"]["id"]
    metadata = json.dumps(where["metadata"])
    return await conn.fetchval(COUNT, project, user["id_1"], project, project, project, metadata)


async def w4(conn: asyncpg.Connection, user: asyncpg.Record, variables: dict) -> str:
    data, project_id = variables["data"], variables["where"]["id"]
    async with conn.transaction():
        targets = await conn.fetch(WRITABLE_TARGET, user["id_1"], project_id, 2)
        if len(targets) != 1:
            raise Refused("NOT_FOUND", "No such project.")
        if not user["is_org_admin"] and targets[0]["role"] not in ("ADMIN", "TEAM_MANAGER"):
            raise Refused("FORBIDDEN", "Needs TEAM_MANAGER.")
        if targets[0]["archived"]:
            raise Refused("FORBIDDEN", "Archived project.")
        metadata = data["jsonMetadataArray"]
        for k, text in enumerate(metadata):
            if not isinstance(json.loads(text), dict):
                raise Refused("BAD_USER_INPUT", f"Item {k}: jsonMetadata is not a JSON object.")
        ids = data["idArray"]
        arrays = (ids, data["externalIDArray"], data["contentArray"], metadata)
        inserted = await conn.fetch(INSERT, project_id, datetime.now(UTC), *arrays)
        if len(inserted) != len(ids):
            raise Refused("CONFLICT", "Some ids or external ids are taken.")
    return json.dumps({"data": [{"id": asset_id} for asset_id in ids]})


HANDLERS = {LG_W1: w1, LG_W2: w2, LG_W3: w3, LG_W4: w4}


def api_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"authorization":
            text = value.decode().strip()
            if text.lower().startswith("x-api-key:"):
                return text.split(":", 1)[1].strip()
    return None


async def answer(pool: asyncpg.Pool, viewers: Viewers, request: dict, key: str | None) -> bytes:
    """The response body: `{"data": ...}` around the JSON the statement (or W4's code) built."""
    handler = HANDLERS[request["query"]]
    async with pool.acquire() as conn:
        user = await viewers.get(conn, key)
        data = await handler(conn, user, request.get("variables") or {})
    return b'{"data": ' + data.encode() + b"}"


class Floor:
    """The ASGI app: POST /graphql only, plus GET /healthz."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.pool: asyncpg.Pool | None = None
        self.viewers = Viewers()

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
            payload = await answer(self.pool, self.viewers, json.loads(b"".join(chunks)), api_key(scope["headers"]))
        except Refused as refused:
            error = {"message": str(refused), "extensions": {"code": refused.code}}
            payload = json.dumps({"data": None, "errors": [error]}).encode()
        await respond(send, 200, payload)

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
