"""The data set every system answers from, written with COPY (asyncpg `copy_records_to_table`).

One organization; `users` users, each with an API key; three projects: `main` (four fifths of the
assets: W1 and W3 read it), `other` (the rest, so that a project filter has something to leave out)
and `append` (empty: W4 writes there, and the harness empties it after every W4 measurement so each
system appends into the same table). User 0, the viewer, is a TEAM_MANAGER of every project (a
member, not an organization admin: the usual case); the others are LABELERs of `main` and `other`.
Asset i gets i % 7 labels (3 on average), by authors among the users, with Kili-shaped json
responses of a few hundred bytes; an asset with labels is LABELED (REVIEWED when its last label is
a REVIEW), else TODO. Every value follows from i, so two runs hold the same data (ids aside).
"""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from gateway.auth import generate_api_key, hash_api_key, new_api_key_row

START = datetime(2026, 1, 1, tzinfo=UTC)
WEATHER = ("sun", "sun", "rain", "sun", "snow", "rain", "fog", "sun")  # rain: 1/4 of the assets
CLASSES = ("CAR", "PEDESTRIAN", "TRUCK", "BICYCLE", "TRAFFIC_LIGHT")
CHUNK = 20_000


def new_id() -> str:
    """A cuid-shaped id ('c' + 24 characters of [a-z2-7], 120 random bits), ~30x faster than
    gateway.db.ids.new_id, which matters for 400,000 of them."""
    return "c" + base64.b32encode(os.urandom(15)).decode().lower()


@dataclass(frozen=True)
class Seeded:
    """What the workloads need to know about the data set."""

    project_id: str  # `main`: W1 and W3
    append_project_id: str  # W4 appends here
    key: str  # the viewer's API key
    asset_ids: list[str]  # of `main`, for W2
    assets: int
    labels: int
    seconds: float


def metadata(i: int) -> dict:
    return {
        "weather": WEATHER[(i * 7919) % len(WEATHER)],
        "camera": f"cam{i % 8}",
        "speed": round((i * 37) % 1300 / 10, 1),
        "time_of_day": "night" if i % 3 == 0 else "day",
    }


def json_response(i: int, j: int) -> dict:
    """A Kili image label: 1 to 3 rectangles, each with a class, a confidence and four vertices."""
    annotations = []
    for k in range(1 + (i + j) % 3):
        x, y = ((i * 13 + k * 7) % 90) / 100, ((j * 17 + k * 11) % 90) / 100
        annotations.append(
            {
                "mid": f"{i}-{j}-{k}",
                "type": "rectangle",
                "categories": [{"name": CLASSES[(i + k) % len(CLASSES)], "confidence": 100}],
                "boundingPoly": [
                    {
                        "normalizedVertices": [
                            {"x": x, "y": round(y + 0.1, 2)},
                            {"x": x, "y": y},
                            {"x": round(x + 0.1, 2), "y": y},
                            {"x": round(x + 0.1, 2), "y": round(y + 0.1, 2)},
                        ]
                    }
                ],
            }
        )
    return {"OBJECT_DETECTION_JOB": {"annotations": annotations}}


ASSET_COLUMNS = ["id", "project_id", "external_id", "content", "mime_type", "json_metadata", "status", "created_at"]
ASSET_COLUMNS += ["updated_at"]
LABEL_COLUMNS = ["id", "asset_id", "project_id", "author_id", "label_type", "json_response", "seconds_to_label"]
LABEL_COLUMNS += ["created_at"]
# Plain (not unique, not constraint) indexes of the big tables: dropped during COPY, built after.
SECONDARY_INDEXES = """SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relname = ANY($1::text[]) AND NOT i.indisunique
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"""


async def seed(dsn: str, assets: int, labels_per_asset_max: int = 6, users: int = 20) -> Seeded:
    """Writes the data set into the migrated, empty database at `dsn` (a plain postgresql:// DSN).

    Bulk-load style: foreign-key triggers off for this session (`session_replication_role = replica`;
    the rows are consistent by construction), the plain indexes of `asset` and `label` dropped during
    COPY and built afterwards from their own definitions, then VACUUM ANALYZE."""
    began = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET session_replication_role = replica; SET maintenance_work_mem = '256MB'")
        indexes = await conn.fetch(SECONDARY_INDEXES, ["asset", "label"])
        for name, _ in indexes:
            await conn.execute(f'DROP INDEX "{name}"')
        user_ids, keys, (main, other, append) = await _people_and_projects(conn, users)
        main_ids, label_count = await _assets_and_labels(conn, assets, labels_per_asset_max, user_ids, main, other)
        for _, definition in indexes:
            await conn.execute(definition)
        await conn.execute("RESET session_replication_role")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return Seeded(main, append, keys[0], main_ids, assets, label_count, time.perf_counter() - began)


async def _people_and_projects(conn: asyncpg.Connection, users: int) -> tuple[list[str], list[str], list[str]]:
    """The organization, its users and their API keys, the three projects and their members:
    (user ids, keys, [main, other, append])."""
    org = new_id()
    await conn.execute("INSERT INTO organization (id, name) VALUES ($1, 'bench')", org)
    user_ids = [new_id() for _ in range(users)]
    await conn.copy_records_to_table(
        "app_user",
        records=[(u, org, f"user{n}@bench.example") for n, u in enumerate(user_ids)],
        columns=["id", "organization_id", "email"],
    )
    keys = [generate_api_key() for _ in user_ids]
    rows = [new_api_key_row(u, k) for u, k in zip(user_ids, keys, strict=True)]
    assert all(r.key_hash == hash_api_key(k) for r, k in zip(rows, keys, strict=True))
    await conn.copy_records_to_table(
        "api_key",
        records=[(new_id(), r.user_id, r.key_hash, r.key_prefix, r.expires_at) for r in rows],
        columns=["id", "user_id", "key_hash", "key_prefix", "expires_at"],
    )
    projects = [new_id() for _ in range(3)]
    await conn.copy_records_to_table(
        "project",
        records=[(p, org, title, "IMAGE") for p, title in zip(projects, ("main", "other", "append"), strict=True)],
        columns=["id", "organization_id", "title", "input_type"],
    )
    members = [(new_id(), p, user_ids[0], "TEAM_MANAGER") for p in projects]
    members += [(new_id(), p, u, "LABELER") for p in projects[:2] for u in user_ids[1:]]
    await conn.copy_records_to_table("project_member", records=members, columns=["id", "project_id", "user_id", "role"])
    return user_ids, keys, projects


async def _assets_and_labels(
    conn: asyncpg.Connection, assets: int, labels_max: int, user_ids: list[str], main: str, other: str
) -> tuple[list[str], int]:
    """Assets (every fifth in `other`) and their labels, by COPY in chunks: (ids in `main`, labels)."""
    main_ids: list[str] = []
    label_count = 0
    for offset in range(0, assets, CHUNK):
        asset_rows, label_rows = [], []
        for i in range(offset, min(assets, offset + CHUNK)):
            asset_id = new_id()
            project = other if i % 5 == 4 else main
            if project == main:
                main_ids.append(asset_id)
            created = START + timedelta(seconds=i)
            n_labels = i % (labels_max + 1)
            status = "TODO" if n_labels == 0 else "REVIEWED" if n_labels % 4 == 3 else "LABELED"
            content = f"https://cdn.example.com/bench/{i}.jpg"
            metadata_text = json.dumps(metadata(i))
            asset_rows.append(
                (asset_id, project, f"img-{i:07d}", content, "image/jpeg", metadata_text, status, created, created)
            )
            for j in range(n_labels):
                label_type = "REVIEW" if j == n_labels - 1 and n_labels % 4 == 3 else "DEFAULT"
                label_rows.append(
                    (
                        new_id(),
                        asset_id,
                        project,
                        user_ids[(i + j) % len(user_ids)],
                        label_type,
                        json.dumps(json_response(i, j)),
                        float(10 + (i + j) % 50),
                        created + timedelta(minutes=1 + j, milliseconds=(i * 31 + j) % 1000),
                    )
                )
        await conn.copy_records_to_table("asset", records=asset_rows, columns=ASSET_COLUMNS)
        await conn.copy_records_to_table("label", records=label_rows, columns=LABEL_COLUMNS)
        label_count += len(label_rows)
    return main_ids, label_count
