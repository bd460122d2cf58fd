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


async def seed(dsn: str, assets: int, labels_per_asset_max: int = 6, users: int = 20) -> Seeded:
    """Writes the data set into the migrated, empty database at `dsn` (a plain postgresql:// DSN)."""
    began = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
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
        main, other, append = new_id(), new_id(), new_id()
        await conn.copy_records_to_table(
            "project",
            records=[(p, org, title, "IMAGE") for p, title in ((main, "main"), (other, "other"), (append, "append"))],
            columns=["id", "organization_id", "title", "input_type"],
        )
        members = [(new_id(), p, user_ids[0], "TEAM_MANAGER") for p in (main, other, append)]
        members += [(new_id(), p, u, "LABELER") for p in (main, other) for u in user_ids[1:]]
        await conn.copy_records_to_table(
            "project_member", records=members, columns=["id", "project_id", "user_id", "role"]
        )
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
                n_labels = i % (labels_per_asset_max + 1)
                status = "TODO" if n_labels == 0 else "REVIEWED" if n_labels % 4 == 3 else "LABELED"
                asset_rows.append(
                    (
                        asset_id,
                        project,
                        f"img-{i:07d}",
                        f"https://cdn.example.com/bench/{i}.jpg",
                        "image/jpeg",
                        json.dumps(metadata(i)),
                        status,
                        created,
                        created,
                    )
                )
                for j in range(n_labels):
                    label_type = "REVIEW" if j == n_labels - 1 and n_labels % 4 == 3 else "DEFAULT"
                    label_rows.append(
                        (
                            new_id(),
                            asset_id,
                            project,
                            user_ids[(i + j) % users],
                            label_type,
                            json.dumps(json_response(i, j)),
                            float(10 + (i + j) % 50),
                            created + timedelta(minutes=1 + j, milliseconds=(i * 31 + j) % 1000),
                        )
                    )
            await conn.copy_records_to_table(
                "asset",
                records=asset_rows,
                columns=[
                    "id",
                    "project_id",
                    "external_id",
                    "content",
                    "mime_type",
                    "json_metadata",
                    "status",
                    "created_at",
                    "updated_at",
                ],
            )
            await conn.copy_records_to_table(
                "label",
                records=label_rows,
                columns=[
                    "id",
                    "asset_id",
                    "project_id",
                    "author_id",
                    "label_type",
                    "json_response",
                    "seconds_to_label",
                    "created_at",
                ],
            )
            label_count += len(label_rows)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return Seeded(main, append, keys[0], main_ids, assets, label_count, time.perf_counter() - began)
