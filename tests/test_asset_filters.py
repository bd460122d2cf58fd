"""Every AssetWhere and LabelWhere field: lists (paged by 2), keyset pages and counts agree, and
return exactly the expected rows in created order. Malformed filters are BAD_USER_INPUT."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.db import models
from schema.timefmt import iso
from tests.paging import paged_ids

ASSETS = """query($where: AssetWhere!, $first: PageSize!, $skip: Int!) {
  data: assets(where: $where, first: $first, skip: $skip) { id } }"""
COUNT_ASSETS = "query($where: AssetWhere!) { data: countAssets(where: $where) }"
ASSETS_CONNECTION = """query($where: AssetWhere!, $after: String) {
  data: assetsConnection(where: $where, first: 2, after: $after) {
    nodes { id } pageInfo { endCursor hasNextPage } } }"""
LABELS = """query($where: LabelWhere!, $first: PageSize!, $skip: Int!) {
  data: labels(where: $where, first: $first, skip: $skip) { id } }"""
COUNT_LABELS = "query($where: LabelWhere!) { data: countLabels(where: $where) }"
LABELS_CONNECTION = """query($where: LabelWhere!, $after: String) {
  data: labelsConnection(where: $where, first: 2, after: $after) {
    nodes { id } pageInfo { endCursor hasNextPage } } }"""

T0 = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


@dataclass
class Data:
    key: str
    alice: models.User
    bob: models.User
    carol: models.User
    road: models.Project
    medical: models.Project
    assets: dict[str, models.Asset]
    labels: dict[str, models.Label]
    sets: dict[str, models.AssetSet]
    sessions: dict[str, models.Session]

    def a(self, *names: str) -> list[str]:
        return [self.assets[n].id for n in names]

    def lab(self, *names: str) -> list[str]:
        return [self.labels[n].id for n in names]


@pytest.fixture(scope="module")
async def data(seeder) -> Data:
    """Assets a0..a4 in `road`, b0 in `medical` (created between a1 and a2); labels l1..l6."""
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    alice, _ = await seeder.user(org, firstname="Alice", lastname="Martin", email=f"alice-{org.id}@example.com")
    bob, _ = await seeder.user(org, firstname="Bob", lastname="Stone", email=f"bob-{org.id}@example.com")
    carol, _ = await seeder.user(org, firstname="Carol", lastname="Reed", email=f"carol-{org.id}@example.com")
    road = await seeder.project(org, title="Road scenes")
    medical = await seeder.project(org, title="Medical")
    drive = await seeder.session(road, name="drive")
    other_drive = await seeder.session(road, name="other drive")
    a: dict[str, models.Asset] = {}
    a["a0"] = await seeder.asset(
        road,
        external_id="cam_front_001",
        json_metadata={"weather": "rain", "speed": 12, "flag": True, "cam": {"id": "front", "pos": {"x": 1}}},
        mime_type="image/jpeg",
        consensus_mark=0.2,
        honeypot_mark=0.9,
        inference_mark=0.5,
        session_id=drive.id,
        timestamp=T0,
    )
    a["a1"] = await seeder.asset(
        road,
        external_id="cam_FRONT_002",
        status="LABELED",
        json_metadata={"weather": "sun", "speed": 30.5, "cam": {"id": "rear"}},
        mime_type="image/png",
        consensus_mark=0.8,
        honeypot_mark=0.1,
        session_id=drive.id,
        timestamp=T0 + timedelta(seconds=10),
    )
    a["b0"] = await seeder.asset(
        medical, external_id="cam_front_006", json_metadata={"weather": "rain"}, mime_type="application/dicom"
    )
    a["a2"] = await seeder.asset(
        road,
        external_id="cam_rear%_003",
        status="REVIEWED",
        json_metadata={"weather": "rain", "speed": "12"},
        mime_type="image/jpeg",
        inference_mark=0.9,
        session_id=other_drive.id,
        timestamp=T0 + timedelta(seconds=20),
    )
    a["a3"] = await seeder.asset(
        road,
        external_id="lidar_top_004",
        status="ONGOING",
        skipped=True,
        json_metadata={"weather": {"sky": "clear"}, "speed": 45},
    )
    a["a4"] = await seeder.asset(road, external_id="camera_005", json_metadata={"note": None})
    # updated_at differs from created_at for a3 only
    async with seeder._session_factory() as db, db.begin():
        row = await db.get(models.Asset, a["a3"].id)
        row.updated_at = T0
    a["a3"].updated_at = T0
    await seeder.assign(a["a0"], alice)
    await seeder.assign(a["a1"], bob, alice)
    await seeder.assign(a["a2"], bob)
    sets = {
        "s1": await seeder.asset_set(road, [a["a0"], a["a1"]], name="s1"),
        "s2": await seeder.asset_set(road, [a["a1"]], name="s2"),
    }
    car = {"CLASS": {"categories": [{"name": "CAR"}]}}
    labels = {
        "l1": await seeder.label(a["a1"], alice, json_response=car),
        "l2": await seeder.label(
            a["a2"],
            bob,
            json_response={
                "OBJ": {"annotations": [{"categories": [{"name": "CAR"}]}, {"categories": [{"name": "CAR"}]}]}
            },
        ),
        "l3": await seeder.label(
            a["a2"], carol, label_type="REVIEW", json_response={"CLASS": {"categories": [{"name": "TRUCK"}]}}
        ),
        "l4": await seeder.label(a["a3"], alice, label_type="AUTOSAVE", json_response={"CLASS": "free text"}),
        "l5": await seeder.label(
            a["a4"], bob, label_type="PREDICTION", model_name="yolo", consensus_mark=0.7, honeypot_mark=0.3
        ),
        "l6": await seeder.label(
            a["b0"], alice, json_response={"CLASS": {"categories": [{"name": "CAR"}, {"name": "BUS"}]}}
        ),
    }
    sessions = {"drive": drive, "other": other_drive}
    return Data(key, alice, bob, carol, road, medical, a, labels, sets, sessions)


LONG = [f"other-{i}" for i in range(30)]  # past ANY_OF_BY_CONTAINMENT: one jsonb[] parameter
ALL_ASSETS = ("a0", "a1", "b0", "a2", "a3", "a4")
ROAD = ("a0", "a1", "a2", "a3", "a4")

Case = tuple[str, Callable[[Data], dict[str, Any]], Callable[[Data], list[str]]]

ASSET_CASES: list[Case] = [
    ("empty", lambda d: {}, lambda d: d.a(*ALL_ASSETS)),
    ("kili sdk shape", lambda d: {"project": {"id": d.road.id}, "label": {}, "issue": {}}, lambda d: d.a(*ROAD)),
    ("id", lambda d: {"id": d.assets["a1"].id}, lambda d: d.a("a1")),
    ("idIn", lambda d: {"idIn": d.a("a3", "a0")}, lambda d: d.a("a0", "a3")),
    ("idIn empty", lambda d: {"idIn": []}, lambda d: []),
    ("idNotIn", lambda d: {"idNotIn": d.a("a0", "b0")}, lambda d: d.a("a1", "a2", "a3", "a4")),
    ("project id", lambda d: {"project": {"id": d.medical.id}}, lambda d: d.a("b0")),
    ("project search", lambda d: {"project": {"searchQuery": "ROAD"}}, lambda d: d.a(*ROAD)),
    (
        "externalIdStrictlyIn is exact",
        lambda d: {"externalIdStrictlyIn": ["cam_front_001", "CAM_FRONT_002", "nope"]},
        lambda d: d.a("a0"),
    ),
    ("externalIdIn substring any case", lambda d: {"externalIdIn": ["FRONT"]}, lambda d: d.a("a0", "a1", "b0")),
    ("externalIdIn any of", lambda d: {"externalIdIn": ["001", "lidar"]}, lambda d: d.a("a0", "a3")),
    ("externalIdIn underscore literal", lambda d: {"externalIdIn": ["CAM_"]}, lambda d: d.a("a0", "a1", "b0", "a2")),
    ("externalIdIn percent literal", lambda d: {"externalIdIn": ["%"]}, lambda d: d.a("a2")),
    ("statusIn", lambda d: {"statusIn": ["LABELED", "REVIEWED"]}, lambda d: d.a("a1", "a2")),
    ("statusIn empty", lambda d: {"statusIn": []}, lambda d: []),
    ("consensusMarkGte", lambda d: {"consensusMarkGte": 0.5}, lambda d: d.a("a1")),
    ("consensusMarkLte", lambda d: {"consensusMarkLte": 0.5}, lambda d: d.a("a0")),
    ("honeypotMark range", lambda d: {"honeypotMarkGte": 0.05, "honeypotMarkLte": 0.5}, lambda d: d.a("a1")),
    ("inferenceMarkGte", lambda d: {"inferenceMarkGte": 0.5}, lambda d: d.a("a0", "a2")),
    ("inferenceMarkLte", lambda d: {"inferenceMarkLte": 0.6}, lambda d: d.a("a0")),
    ("metadata string", lambda d: {"metadata": {"weather": "rain"}}, lambda d: d.a("a0", "b0", "a2")),
    ("metadata number is not a string", lambda d: {"metadata": {"speed": 12}}, lambda d: d.a("a0")),
    ("metadata number equality", lambda d: {"metadata": {"speed": 30.50}}, lambda d: d.a("a1")),
    ("metadata string is not a number", lambda d: {"metadata": {"speed": "12"}}, lambda d: d.a("a2")),
    ("metadata boolean", lambda d: {"metadata": {"flag": True}}, lambda d: d.a("a0")),
    ("metadata object", lambda d: {"metadata": {"weather": {"sky": "clear"}}}, lambda d: d.a("a3")),
    ("metadata any of", lambda d: {"metadata": {"weather": ["sun", "snow"]}}, lambda d: d.a("a1")),
    ("metadata any of none", lambda d: {"metadata": {"weather": []}}, lambda d: []),
    ("metadata range numbers only", lambda d: {"metadata": {"speed": [10, 31]}}, lambda d: d.a("a0", "a1")),
    ("metadata range inclusive", lambda d: {"metadata": {"speed": [30.5, 45]}}, lambda d: d.a("a1", "a3")),
    (
        "metadata all keys",
        lambda d: {"metadata": {"weather": ["sun", "rain"], "speed": [0, 20]}},
        lambda d: d.a("a0"),
    ),
    ("metadata empty", lambda d: {"metadata": {}}, lambda d: d.a(*ALL_ASSETS)),
    ("metadata dotted key", lambda d: {"metadata": {"cam.id": "front"}}, lambda d: d.a("a0")),
    ("metadata dotted deep", lambda d: {"metadata": {"cam.pos.x": 1}}, lambda d: d.a("a0")),
    ("metadata dotted range", lambda d: {"metadata": {"cam.pos.x": [0, 5]}}, lambda d: d.a("a0")),
    ("metadata dotted any of", lambda d: {"metadata": {"cam.id": ["rear", "front"]}}, lambda d: d.a("a0", "a1")),
    ("metadata dotted into object", lambda d: {"metadata": {"weather.sky": "clear"}}, lambda d: d.a("a3")),
    ("metadata dotted object value", lambda d: {"metadata": {"cam.pos": {"x": 1}}}, lambda d: d.a("a0")),
    ("metadata dotted long any of", lambda d: {"metadata": {"cam.id": LONG + ["rear"]}}, lambda d: d.a("a1")),
    ("metadata JSON null", lambda d: {"metadata": {"note": None}}, lambda d: d.a("a4")),
    ("mimeTypeIn", lambda d: {"mimeTypeIn": ["image/jpeg", "application/dicom"]}, lambda d: d.a("a0", "b0", "a2")),
    ("mimeTypeIn empty", lambda d: {"mimeTypeIn": []}, lambda d: []),
    ("metadataNot value", lambda d: {"metadataNot": {"weather": "rain"}}, lambda d: d.a("a1", "a3", "a4")),
    ("metadataNot values", lambda d: {"metadataNot": {"weather": ["rain", "sun"]}}, lambda d: d.a("a3", "a4")),
    ("metadataNot long list", lambda d: {"metadataNot": {"weather": [*LONG, "rain"]}}, lambda d: d.a("a1", "a3", "a4")),
    ("metadataNot two numbers", lambda d: {"metadataNot": {"speed": [12, 45]}}, lambda d: d.a("a1", "b0", "a2", "a4")),
    (
        "metadataNot dotted",
        lambda d: {"metadataNot": {"cam.id": "front"}},
        lambda d: d.a("a1", "b0", "a2", "a3", "a4"),
    ),
    (
        "metadataNot object",
        lambda d: {"metadataNot": {"weather": {"sky": "clear"}}},
        lambda d: d.a("a0", "a1", "b0", "a2", "a4"),
    ),
    ("metadataNot null", lambda d: {"metadataNot": {"note": None}}, lambda d: d.a("a0", "a1", "b0", "a2", "a3")),
    (
        "metadataNot with metadata",
        lambda d: {"metadata": {"weather": "rain"}, "metadataNot": {"speed": 12}},
        lambda d: d.a("b0", "a2"),
    ),
    ("metadataExists true", lambda d: {"metadataExists": {"speed": True}}, lambda d: d.a("a0", "a1", "a2", "a3")),
    ("metadataExists false", lambda d: {"metadataExists": {"speed": False}}, lambda d: d.a("b0", "a4")),
    ("metadataExists dotted", lambda d: {"metadataExists": {"cam.pos": True}}, lambda d: d.a("a0")),
    ("metadataExists JSON null", lambda d: {"metadataExists": {"note": True}}, lambda d: d.a("a4")),
    ("metadataExists both ways", lambda d: {"metadataExists": {"cam": True, "cam.pos": False}}, lambda d: d.a("a1")),
    ("metadataExists empty", lambda d: {"metadataExists": {}}, lambda d: d.a(*ALL_ASSETS)),
    ("assigneeIn email", lambda d: {"assigneeIn": [d.alice.email.upper()]}, lambda d: d.a("a0", "a1")),
    ("assigneeIn id", lambda d: {"assigneeIn": [d.bob.id]}, lambda d: d.a("a1", "a2")),
    ("assigneeNotIn", lambda d: {"assigneeNotIn": [d.alice.id]}, lambda d: d.a("b0", "a2", "a3", "a4")),
    ("label typeIn", lambda d: {"label": {"typeIn": ["REVIEW"]}}, lambda d: d.a("a2")),
    ("label authorIn full name", lambda d: {"label": {"authorIn": ["alice martin"]}}, lambda d: d.a("a1", "b0", "a3")),
    ("label labelerIn", lambda d: {"label": {"labelerIn": [d.bob.email]}}, lambda d: d.a("a2")),
    ("label reviewerIn", lambda d: {"label": {"reviewerIn": [d.carol.id]}}, lambda d: d.a("a2")),
    ("label search", lambda d: {"label": {"search": "OBJ.CAR.count >= 2"}}, lambda d: d.a("a2")),
    (
        "label with nested asset",
        lambda d: {"label": {"asset": {"label": {"typeIn": ["REVIEW"]}}, "typeIn": ["DEFAULT"]}},
        lambda d: d.a("a2"),
    ),
    (
        "label createdAt day and project",
        lambda d: {"project": {"id": d.road.id}, "label": {"createdAt": d.labels["l1"].created_at.date().isoformat()}},
        lambda d: d.a("a1", "a2", "a3", "a4"),
    ),
    ("label createdAt other day", lambda d: {"label": {"createdAt": "2025-06-01"}}, lambda d: []),
    ("skipped true", lambda d: {"skipped": True}, lambda d: d.a("a3")),
    ("skipped false", lambda d: {"skipped": False}, lambda d: d.a("a0", "a1", "b0", "a2", "a4")),
    (
        "createdAtGte instant",
        lambda d: {"createdAtGte": iso(d.assets["a2"].created_at)},
        lambda d: d.a("a2", "a3", "a4"),
    ),
    (
        "createdAt range",
        lambda d: {"createdAtGte": iso(d.assets["a1"].created_at), "createdAtLte": iso(d.assets["a2"].created_at)},
        lambda d: d.a("a1", "b0", "a2"),
    ),
    ("createdAtLte bare day before", lambda d: {"createdAtLte": "2025-12-31"}, lambda d: []),
    ("updatedAtGte", lambda d: {"updatedAtGte": "2030-05-01"}, lambda d: d.a("a3")),
    (
        "updatedAtLte",
        lambda d: {"updatedAtLte": "2029-12-31T23:59:59Z", "project": {"id": d.road.id}},
        lambda d: d.a("a0", "a1", "a2", "a4"),
    ),
    ("issue empty", lambda d: {"issue": {}}, lambda d: d.a(*ALL_ASSETS)),
    ("issue: none of these assets has one", lambda d: {"issue": {"type": "QUESTION"}}, lambda d: []),
    ("setIdIn", lambda d: {"setIdIn": [d.sets["s1"].id]}, lambda d: d.a("a0", "a1")),
    ("setIdIn two", lambda d: {"setIdIn": [d.sets["s2"].id, d.sets["s1"].id]}, lambda d: d.a("a0", "a1")),
    ("setIdIn empty", lambda d: {"setIdIn": []}, lambda d: []),
    ("sessionIdIn", lambda d: {"sessionIdIn": [d.sessions["other"].id]}, lambda d: d.a("a2")),
    ("timestampGte", lambda d: {"timestampGte": iso(T0 + timedelta(seconds=5))}, lambda d: d.a("a1", "a2")),
    ("timestampLte", lambda d: {"timestampLte": iso(T0 + timedelta(seconds=10))}, lambda d: d.a("a0", "a1")),
]

ALL_LABELS = ("l1", "l2", "l3", "l4", "l5", "l6")

LABEL_CASES: list[Case] = [
    ("empty", lambda d: {}, lambda d: d.lab(*ALL_LABELS)),
    (
        "kili sdk shape",
        lambda d: {"asset": {"project": {"id": d.road.id}, "label": {}, "issue": {}}, "project": {"id": d.road.id}},
        lambda d: d.lab("l1", "l2", "l3", "l4", "l5"),
    ),
    ("id", lambda d: {"id": d.labels["l3"].id}, lambda d: d.lab("l3")),
    ("idIn", lambda d: {"idIn": d.lab("l5", "l2")}, lambda d: d.lab("l2", "l5")),
    ("project", lambda d: {"project": {"id": d.medical.id}}, lambda d: d.lab("l6")),
    ("asset externalIdIn", lambda d: {"asset": {"externalIdIn": ["lidar"]}}, lambda d: d.lab("l4")),
    ("asset statusIn", lambda d: {"asset": {"statusIn": ["REVIEWED"]}}, lambda d: d.lab("l2", "l3")),
    (
        "asset having a review label",
        lambda d: {"asset": {"label": {"typeIn": ["REVIEW"]}}},
        lambda d: d.lab("l2", "l3"),
    ),
    ("user email", lambda d: {"user": {"email": d.alice.email}}, lambda d: d.lab("l1", "l4", "l6")),
    ("user idIn", lambda d: {"user": {"idIn": [d.bob.id, d.carol.id]}}, lambda d: d.lab("l2", "l3", "l5")),
    ("authorIn first name", lambda d: {"authorIn": ["Alice"]}, lambda d: d.lab("l1", "l4", "l6")),
    ("authorIn last name", lambda d: {"authorIn": ["stone"]}, lambda d: d.lab("l2", "l5")),
    ("authorIn full name", lambda d: {"authorIn": ["Carol Reed"]}, lambda d: d.lab("l3")),
    ("authorIn id and email", lambda d: {"authorIn": [d.bob.id, d.carol.email]}, lambda d: d.lab("l2", "l3", "l5")),
    ("labelerIn", lambda d: {"labelerIn": [d.alice.email]}, lambda d: d.lab("l1", "l6")),
    ("labelerNotIn", lambda d: {"labelerNotIn": [d.alice.id]}, lambda d: d.lab("l2", "l3", "l4", "l5")),
    ("reviewerIn", lambda d: {"reviewerIn": [d.carol.id]}, lambda d: d.lab("l3")),
    ("reviewerNotIn", lambda d: {"reviewerNotIn": [d.carol.email]}, lambda d: d.lab("l1", "l2", "l4", "l5", "l6")),
    ("typeIn", lambda d: {"typeIn": ["PREDICTION", "AUTOSAVE"]}, lambda d: d.lab("l4", "l5")),
    ("consensusMarkGte", lambda d: {"consensusMarkGte": 0.5}, lambda d: d.lab("l5")),
    ("consensusMarkLte", lambda d: {"consensusMarkLte": 0.5}, lambda d: []),
    ("honeypotMark range", lambda d: {"honeypotMarkGte": 0.3, "honeypotMarkLte": 0.3}, lambda d: d.lab("l5")),
    (
        "createdAt day",
        lambda d: {"createdAt": d.labels["l1"].created_at.date().isoformat()},
        lambda d: d.lab(*ALL_LABELS),
    ),
    ("createdAt other day", lambda d: {"createdAt": "2025-06-01"}, lambda d: []),
    ("createdAt instant", lambda d: {"createdAt": iso(d.labels["l3"].created_at)}, lambda d: d.lab("l3")),
    (
        "createdAt range",
        lambda d: {"createdAtGte": iso(d.labels["l2"].created_at), "createdAtLte": iso(d.labels["l4"].created_at)},
        lambda d: d.lab("l2", "l3", "l4"),
    ),
    ("search categories", lambda d: {"search": "CLASS.CAR.count > 0"}, lambda d: d.lab("l1", "l6")),
    ("search annotations", lambda d: {"search": "OBJ.CAR.count = 2"}, lambda d: d.lab("l2")),
    (
        "search zero counts labels without the job",
        lambda d: {"search": "CLASS.CAR.count = 0"},
        lambda d: d.lab("l2", "l3", "l4", "l5"),
    ),
    (
        "search or and parentheses",
        lambda d: {"search": "OBJ.CAR.count == 2 OR (CLASS.BUS.count >= 1 AND CLASS.CAR.count != 0)"},
        lambda d: d.lab("l2", "l6"),
    ),
    (
        "search and binds tighter",
        lambda d: {"search": "CLASS.TRUCK.count=1 or CLASS.CAR.count>0 and CLASS.BUS.count<1"},
        lambda d: d.lab("l1", "l3"),
    ),
    (
        "search lowercase keywords",
        lambda d: {"search": "(CLASS.TRUCK.count <= 1) and OBJ.CAR.count < 1"},
        lambda d: d.lab("l1", "l3", "l4", "l5", "l6"),
    ),
    (
        "search with project",
        lambda d: {"search": "CLASS.CAR.count >= 1", "project": {"id": d.road.id}},
        lambda d: d.lab("l1"),
    ),
]


@pytest.mark.parametrize(("name", "where", "expected"), ASSET_CASES, ids=[c[0] for c in ASSET_CASES])
async def test_asset_filter(api, data: Data, name: str, where, expected) -> None:
    variables = where(data)
    ids, keyset = await paged_ids(api, data.key, ASSETS, ASSETS_CONNECTION, variables)
    count = (await api.data(COUNT_ASSETS, {"where": variables}, key=data.key))["data"]
    assert ids == expected(data)
    assert keyset == ids
    assert count == len(ids)


@pytest.mark.parametrize(("name", "where", "expected"), LABEL_CASES, ids=[c[0] for c in LABEL_CASES])
async def test_label_filter(api, data: Data, name: str, where, expected) -> None:
    variables = where(data)
    ids, keyset = await paged_ids(api, data.key, LABELS, LABELS_CONNECTION, variables)
    count = (await api.data(COUNT_LABELS, {"where": variables}, key=data.key))["data"]
    assert ids == expected(data)
    assert keyset == ids
    assert count == len(ids)


BAD_ASSET_WHERES = [
    ("metadata string", {"metadata": "rain"}),
    ("metadata list", {"metadata": [1, 2]}),
    ("metadata number", {"metadata": 5}),
    ("metadata reversed range", {"metadata": {"speed": [20, 10]}}),
    ("metadata empty segment", {"metadata": {"cam..id": 1}}),
    ("metadata empty key", {"metadata": {"": 1}}),
    ("metadataNot string", {"metadataNot": "rain"}),
    ("metadataNot dotted", {"metadataNot": {"cam.": 1}}),
    ("metadataExists list", {"metadataExists": ["speed"]}),
    ("metadataExists not a boolean", {"metadataExists": {"speed": "yes"}}),
    ("createdAtGte", {"createdAtGte": "yesterday"}),
    ("updatedAtLte", {"updatedAtLte": "2026-13-01"}),
    ("timestampGte", {"timestampGte": "12:00"}),
    ("label createdAt", {"label": {"createdAt": "2026-02-30"}}),
    ("label search", {"label": {"search": "CLASS.CAR > 0"}}),
    ("stepIdIn", {"stepIdIn": ["step-1"]}),
    ("stepStatusNotIn", {"stepStatusNotIn": ["DONE"]}),
    ("stepIdAndStatusIn", {"stepIdAndStatusIn": [{"stepId": "s", "status": "TO_DO"}]}),
    ("groupNameIn empty", {"groupNameIn": []}),
]

BAD_SEARCHES = [
    "",
    "   ",
    "CLASS.CAR > 0",
    "CLASS.CAR.total > 0",
    "CLASS.CAR.count >",
    "CLASS.CAR.count > x",
    "CLASS.CAR.count ~ 1",
    "(CLASS.CAR.count > 0",
    "CLASS.CAR.count > 0)",
    "CLASS.CAR.count > 0 AND",
    "CLASS.CAR.count > 0 CLASS.BUS.count > 0",
    "CLASS.CAR'; DROP TABLE label; --.count > 0",
    "(" * 50 + "CLASS.CAR.count > 0" + ")" * 50,
]


@pytest.mark.parametrize(("name", "where"), BAD_ASSET_WHERES, ids=[c[0] for c in BAD_ASSET_WHERES])
async def test_malformed_asset_filters_are_bad_user_input(api, data: Data, name: str, where: dict) -> None:
    for query, variables in [
        (ASSETS, {"where": where, "first": 10, "skip": 0}),
        (COUNT_ASSETS, {"where": where}),
        (COUNT_LABELS, {"where": {"asset": where}}),
    ]:
        error = await api.error(query, variables, key=data.key)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error


@pytest.mark.parametrize("search", BAD_SEARCHES)
async def test_malformed_searches_are_bad_user_input(api, data: Data, search: str) -> None:
    error = await api.error(COUNT_LABELS, {"where": {"search": search}}, key=data.key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert "search" in error["message"]


async def test_step_filters_explain_the_v1_workflow(api, data: Data) -> None:
    error = await api.error(COUNT_ASSETS, {"where": {"stepIdIn": ["x"]}}, key=data.key)
    assert "stepIdIn" in error["message"] and "V1" in error["message"]


async def test_category_names_are_bound_parameters(api, data: Data, sql_counter) -> None:
    """Names reach the database as parameters: they never appear in the SQL text."""
    with sql_counter:
        count = (await api.data(COUNT_LABELS, {"where": {"search": "CLASS-X.CAR_Y.count = 0"}}, key=data.key))["data"]
    assert count == 6
    assert not any("CAR_Y" in s or "CLASS-X" in s for s in sql_counter.statements)
