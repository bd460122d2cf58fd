"""metadataFields against known truth: every key (nested keys dotted) of the matched assets, its
JSON types, count, numeric min/max and cardinality, equal to a walk of the metadata in Python."""

from __future__ import annotations

import json
import random

from gateway.db import models

FIELDS = """query($where: AssetWhere!) {
  metadataFields(where: $where) { key jsonTypes count min max cardinality }
}"""
COUNT = "query($where: AssetWhere!) { countAssets(where: $where) }"


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", dict: "object", list: "array"}[type(value)]


def _canonical(value) -> str:
    """JSON equality as jsonb sees it: 1 equals 1.0, key order does not matter."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(float(value))
    return json.dumps(value, sort_keys=True)


def _walk(metadata: dict, prefix: str = ""):
    for key, value in metadata.items():
        yield prefix + key, value
        if isinstance(value, dict):
            yield from _walk(value, f"{prefix}{key}.")


def _random_metadata(rng: random.Random) -> dict:
    metadata: dict = {}
    if rng.random() < 0.8:
        metadata["weather"] = rng.choice(["rain", "sun", 3, None])
    if rng.random() < 0.6:
        metadata["speed"] = rng.choice([rng.randint(-5, 50), round(rng.uniform(0, 9), 2)])
    if rng.random() < 0.5:
        metadata["camera"] = {"id": rng.choice(["f", "r"]), "lens": {"mm": rng.choice([35, 50, 85])}}
    if rng.random() < 0.3:
        metadata["tags"] = rng.sample(["a", "b", "c"], 2)
    if rng.random() < 0.2:
        metadata["flag"] = rng.random() < 0.5
    return metadata


async def test_metadata_fields_equal_a_walk_of_the_known_metadata(api, seeder) -> None:
    rng = random.Random(41)
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    documents = [_random_metadata(rng) for _ in range(80)]
    await seeder.add(
        *[
            models.Asset(
                project_id=project.id, external_id=f"m{i}", json_metadata=d, status=rng.choice(["TODO", "LABELED"])
            )
            for i, d in enumerate(documents)
        ]
    )
    other_org = await seeder.organization()
    hidden = await seeder.project(other_org)
    await seeder.asset(hidden, json_metadata={"secret": 1, "speed": 1000})

    for where, kept in (
        ({"project": {"id": project.id}}, documents),
        ({"statusIn": ["LABELED"]}, None),
        ({}, documents),
    ):
        answer = (await api.data(FIELDS, {"where": where}, key=key))["metadataFields"]
        if kept is None:
            ids = await api.data(
                "query($w: AssetWhere!) { assets(where: $w, first: 100, skip: 0) { jsonMetadata } }",
                {"w": where},
                key=key,
            )
            kept = [json.loads(a["jsonMetadata"]) for a in ids["assets"]]
        truth: dict[str, list] = {}
        for document in kept:
            for k, value in _walk(document):
                truth.setdefault(k, []).append(value)
        assert [f["key"] for f in answer] == sorted(truth)
        for field in answer:
            values = truth[field["key"]]
            numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
            assert field["jsonTypes"] == sorted({_json_type(v) for v in values}), field
            assert field["count"] == len(values), field
            assert field["min"] == (min(numbers) if numbers else None), field
            assert field["max"] == (max(numbers) if numbers else None), field
            assert field["cardinality"] == len({_canonical(v) for v in values}), field
    assert "secret" not in {f["key"] for f in answer}


async def test_metadata_fields_cost_one_statement(api, seeder, sql_counter) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    await seeder.assets(project, 50, json_metadata={"a": {"b": {"c": 1}}, "d": [1]})
    with sql_counter:
        answer = (await api.data(FIELDS, {"where": {"project": {"id": project.id}}}, key=key))["metadataFields"]
    assert [f["key"] for f in answer] == ["a", "a.b", "a.b.c", "d"]
    assert sql_counter.count == 2, sql_counter.statements  # authentication, then the fields
