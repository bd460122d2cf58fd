"""assetStats against known truth: a generated data set whose every property is known in Python;
each bucket, metric, otherCount and missingCount equals the truth, and buckets that have an
AssetWhere equivalent also equal an independent countAssets."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from gateway.db import models

STATUSES = ["TODO", "ONGOING", "LABELED", "TO_REVIEW", "REVIEWED"]
LABEL_TYPES = ["DEFAULT", "REVIEW", "PREDICTION", "AUTOSAVE"]
START = datetime(2026, 3, 1, tzinfo=UTC)

STATS = """query($where: AssetWhere!, $terms: [TermsInput!], $ranges: [RangeBucketsInput!],
                 $times: [TimeBucketsInput!], $metrics: [MetricInput!]) {
  assetStats(where: $where, terms: $terms, ranges: $ranges, times: $times, metrics: $metrics) {
    total byStatus { key count }
    metrics { op metadataKey value valueCount }
    aggregations { name otherCount missingCount
      buckets { key count byStatus { key count } metrics { op metadataKey value valueCount } } }
  }
}"""
COUNT = "query($where: AssetWhere!) { countAssets(where: $where) }"


async def _data_set(seeder, seed: int, size: int = 90) -> tuple[str, str, dict, list[dict]]:
    rng = random.Random(seed)
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    users = [(await seeder.user(org))[0] for _ in range(3)]
    project = await seeder.project(org)
    recordings = [
        await seeder.session(project, start_time=START, end_time=START + timedelta(hours=2)) for _ in range(2)
    ]
    slice_ = await seeder.session(
        project,
        origin_session_id=recordings[0].id,
        start_time=START + timedelta(minutes=30),
        end_time=START + timedelta(minutes=60),
    )
    facts, assets = [], []
    for i in range(size):
        metadata: dict = {}
        if rng.random() < 0.8:
            metadata["weather"] = rng.choice(["rain", "sun", "fog", "snow"])
        speed = rng.choice([None, "fast", rng.randint(0, 120), round(rng.uniform(0, 120), 3), None])
        if speed is not None:
            metadata["speed"] = speed
        if rng.random() < 0.7:
            metadata["camera"] = {"id": rng.choice(["front", "rear", "left"]), "gain": rng.randint(1, 4)}
        if rng.random() < 0.3:
            metadata["note"] = None  # JSON null: missing for terms and metrics
        timed = rng.random() < 0.75
        session = rng.choice(recordings) if timed else None
        timestamp = START + timedelta(seconds=rng.randint(0, 7199)) if timed else None
        fact = {
            "status": rng.choice(STATUSES),
            "sensor": rng.choice(["cam_front", "lidar", None]),
            "mime": rng.choice(["image/jpeg", "image/png", None]),
            "metadata": metadata,
            "session": session.id if session else None,
            "timestamp": timestamp,
            "created": START + timedelta(minutes=rng.randint(0, 300)),
        }
        asset = models.Asset(
            project_id=project.id,
            external_id=f"a{i}",
            status=fact["status"],
            sensor=fact["sensor"],
            mime_type=fact["mime"],
            json_metadata=metadata,
            session_id=fact["session"],
            timestamp=timestamp,
            created_at=fact["created"],
            updated_at=fact["created"],
        )
        facts.append(fact)
        assets.append(asset)
    await seeder.add(*assets)
    sets = [await seeder.asset_set(project) for _ in range(3)]
    rows: list = []
    for fact, asset in zip(facts, assets, strict=True):
        fact["id"] = asset.id
        fact["sets"] = {s.id for s in sets if rng.random() < 0.4}
        fact["assignees"] = {u.id for u in users if rng.random() < 0.3}
        fact["sessions"] = set()
        if fact["session"]:
            fact["sessions"].add(fact["session"])
            if fact["session"] == recordings[0].id and slice_.start_time <= fact["timestamp"] <= slice_.end_time:
                fact["sessions"].add(slice_.id)
        fact["label_types"], fact["models"], fact["categories"] = set(), set(), set()
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            label_type = rng.choice(LABEL_TYPES)
            model = rng.choice([None, "yolo-v8", "sam"])
            classes = rng.sample(["CAR", "BUS", "BIKE"], rng.randint(0, 2))
            boxes = rng.sample(["PERSON", "DOG"], rng.randint(0, 2))
            response = {
                "CLASS": {"categories": [{"name": c, "confidence": 100} for c in classes]},
                "OBJECTS": {"annotations": [{"categories": [{"name": b}], "mid": str(k)} for k, b in enumerate(boxes)]},
            }
            fact["label_types"].add(label_type)
            if model:
                fact["models"].add(model)
            fact["categories"] |= {f"CLASS.{c}" for c in classes} | {f"OBJECTS.{b}" for b in boxes}
            rows.append(
                models.Label(
                    asset_id=asset.id,
                    project_id=project.id,
                    author_id=rng.choice(users).id,
                    label_type=label_type,
                    model_name=model,
                    json_response=response,
                    created_at=seeder.tick(),
                )
            )
        rows += [models.SetAsset(set_id=s, asset_id=asset.id) for s in fact["sets"]]
        rows += [models.AssetAssignee(asset_id=asset.id, user_id=u) for u in fact["assignees"]]
    await seeder.add(*rows)
    ids = {"users": {u.id: u.email for u in users}, "sets": [s.id for s in sets], "slice": slice_.id}
    return project.id, key, ids, facts


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _value(fact: dict, key: str):
    value = fact["metadata"]
    for segment in key.split("."):
        if not isinstance(value, dict) or segment not in value:
            return None
        value = value[segment]
    return value


def _text(value) -> str | None:
    """The key PostgreSQL's `#>>` gives a JSON value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _keys(fact: dict, dimension: str, metadata_key: str | None = None) -> set[str]:
    single = {"STATUS": "status", "SENSOR": "sensor", "MIME_TYPE": "mime"}
    multi = {"SET": "sets", "SESSION": "sessions", "ASSIGNEE": "assignees", "LABEL_TYPE": "label_types"}
    multi |= {"LABEL_MODEL": "models", "LABEL_CATEGORY": "categories"}
    if dimension in single:
        return set() if fact[single[dimension]] is None else {fact[single[dimension]]}
    if dimension == "METADATA":
        text = _text(_value(fact, metadata_key))
        return set() if text is None else {text}
    return fact[multi[dimension]]


def _truth_metric(facts: list[dict], op: str, key: str) -> tuple[float | None, int]:
    values = [_value(f, key) for f in facts]
    numbers = [v for v in values if _is_number(v)]
    present = [v for v in values if v is not None]
    if op == "COUNT":
        return len(present), len(present)
    if op == "CARDINALITY":
        return len({repr(float(v)) if _is_number(v) else repr(v) for v in present}), len(present)
    if not numbers:
        return None, 0
    value = {"SUM": sum, "MIN": min, "MAX": max, "AVERAGE": lambda n: sum(n) / len(n)}[op](numbers)
    return value, len(numbers)


def _check_metrics(answered: list[dict], facts: list[dict]) -> None:
    for metric in answered:
        value, count = _truth_metric(facts, metric["op"], metric["metadataKey"])
        assert metric["valueCount"] == count, metric
        assert (metric["value"] is None) == (value is None), metric
        if value is not None:
            assert metric["value"] == pytest.approx(value, rel=1e-9), metric


def _check_buckets(buckets: list[dict], members: dict[str, list[dict]]) -> None:
    """Each bucket's count, status split and metrics equal the truth of its member assets."""
    for bucket in buckets:
        group = members[bucket["key"]]
        assert bucket["count"] == len(group), bucket["key"]
        statuses = Counter(f["status"] for f in group)
        assert {b["key"]: b["count"] for b in bucket["byStatus"]} == dict(statuses), bucket["key"]
        _check_metrics(bucket["metrics"], group)


METRICS = [
    {"op": op, "metadataKey": key}
    for op in ("COUNT", "SUM", "AVERAGE", "MIN", "MAX", "CARDINALITY")
    for key in ("speed", "camera.gain", "weather", "absent.key")
][:20]
DIMENSIONS = [
    "STATUS",
    "SET",
    "SESSION",
    "SENSOR",
    "MIME_TYPE",
    "ASSIGNEE",
    "LABEL_TYPE",
    "LABEL_MODEL",
    "LABEL_CATEGORY",
]


async def test_terms_buckets_metrics_and_missing_equal_the_known_truth(api, seeder) -> None:
    project_id, key, _, facts = await _data_set(seeder, seed=7)
    where = {"project": {"id": project_id}}
    terms = [{"dimension": d, "metrics": METRICS[:8]} for d in DIMENSIONS]
    terms.append({"dimension": "METADATA", "metadataKey": "camera.id", "name": "camera", "metrics": METRICS[8:16]})
    stats = (await api.data(STATS, {"where": where, "terms": terms, "metrics": METRICS}, key=key))["assetStats"]

    assert stats["total"] == len(facts) == (await api.data(COUNT, {"where": where}, key=key))["countAssets"]
    assert {b["key"]: b["count"] for b in stats["byStatus"]} == dict(Counter(f["status"] for f in facts))
    _check_metrics(stats["metrics"], facts)
    assert len(stats["metrics"]) == len(METRICS)

    asked = [(t["dimension"], t.get("metadataKey")) for t in terms]
    assert [a["name"] for a in stats["aggregations"]] == [*DIMENSIONS, "camera"]
    for (dimension, metadata_key), aggregation in zip(asked, stats["aggregations"], strict=True):
        members: dict[str, list[dict]] = {}
        for fact in facts:
            for k in _keys(fact, dimension, metadata_key):
                members.setdefault(k, []).append(fact)
        buckets = aggregation["buckets"]
        assert {b["key"] for b in buckets} == set(members), dimension
        _check_buckets(buckets, members)
        missing = sum(1 for f in facts if not _keys(f, dimension, metadata_key))
        assert aggregation["missingCount"] == missing, dimension
        assert aggregation["otherCount"] == 0, dimension
        counts = [b["count"] for b in buckets]
        assert counts == sorted(counts, reverse=True), dimension
        if dimension in ("STATUS", "SENSOR", "MIME_TYPE", "METADATA"):
            assert sum(counts) + missing == len(facts), dimension
        else:
            # Multi-valued: an asset counts once per key, so buckets may add up to more than total.
            assert sum(counts) + missing >= len(facts), dimension


async def test_terms_buckets_equal_independent_count_assets_filters(api, seeder) -> None:
    project_id, key, ids, facts = await _data_set(seeder, seed=11)
    where = {"project": {"id": project_id}}
    filters = {
        "STATUS": lambda k: {"statusIn": [k]},
        "SET": lambda k: {"setIdIn": [k]},
        "SESSION": lambda k: {"sessionIdIn": [k]},
        "SENSOR": lambda k: {"sensorIn": [k]},
        "ASSIGNEE": lambda k: {"assigneeIn": [k]},
        "LABEL_TYPE": lambda k: {"label": {"typeIn": [k]}},
        "LABEL_CATEGORY": lambda k: {"label": {"search": f"{k}.count > 0"}},
    }
    terms = [{"dimension": d} for d in filters]
    terms.append({"dimension": "METADATA", "metadataKey": "weather"})
    stats = (await api.data(STATS, {"where": where, "terms": terms}, key=key))["assetStats"]
    checked = 0
    for dimension, aggregation in zip([*filters, "METADATA"], stats["aggregations"], strict=True):
        for bucket in aggregation["buckets"]:
            condition = (
                filters[dimension](bucket["key"])
                if dimension != "METADATA"
                else {"metadata": {"weather": bucket["key"]}}
            )
            count = (await api.data(COUNT, {"where": {**where, **condition}}, key=key))["countAssets"]
            assert bucket["count"] == count, (dimension, bucket)
            checked += 1
    assert ids["slice"] in {b["key"] for b in stats["aggregations"][2]["buckets"]}
    assert checked >= 25


async def test_size_keeps_the_most_frequent_keys_and_counts_the_rest_as_other(api, seeder) -> None:
    project_id, key, _, facts = await _data_set(seeder, seed=3)
    where = {"project": {"id": project_id}}
    terms = [{"dimension": "LABEL_CATEGORY", "size": 2}, {"dimension": "METADATA", "metadataKey": "weather", "size": 1}]
    aggregations = (await api.data(STATS, {"where": where, "terms": terms}, key=key))["assetStats"]["aggregations"]
    for (dimension, metadata_key, size), aggregation in zip(
        [("LABEL_CATEGORY", None, 2), ("METADATA", "weather", 1)], aggregations, strict=True
    ):
        counts = Counter(k for f in facts for k in _keys(f, dimension, metadata_key))
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        assert [(b["key"], b["count"]) for b in aggregation["buckets"]] == ranked[:size]
        assert aggregation["otherCount"] == sum(n for _, n in ranked[size:]) > 0


async def test_label_type_in_narrows_the_labels_label_dimensions_read(api, seeder, sql_counter) -> None:
    project_id, key, _, _ = await _data_set(seeder, seed=5)
    where = {"project": {"id": project_id}}
    terms = [{"dimension": "LABEL_CATEGORY", "labelTypeIn": ["DEFAULT", "REVIEW"]}]
    aggregation = (await api.data(STATS, {"where": where, "terms": terms}, key=key))["assetStats"]["aggregations"][0]
    for bucket in aggregation["buckets"]:
        condition = {"label": {"typeIn": ["DEFAULT", "REVIEW"], "search": f"{bucket['key']}.count > 0"}}
        assert bucket["count"] == (await api.data(COUNT, {"where": {**where, **condition}}, key=key))["countAssets"]
    assert aggregation["buckets"]


def _in(value, low, high) -> bool:
    return value is not None and (low is None or value >= low) and (high is None or value < high)


DISJOINT = [(50, 70), (10, 30), (90, None), (-1000, -999)]


async def test_numeric_ranges_are_half_open_may_overlap_and_skip_non_numbers(api, seeder) -> None:
    project_id, key, _, facts = await _data_set(seeder, seed=13)
    where = {"project": {"id": project_id}}
    bounds = [(None, 30), (30, 60), (60, 60.5), (40, 90), (100, None)]
    ranges = [
        {
            "metadataKey": "speed",
            "ranges": [{"from": low, "to": high} for low, high in bounds],
            "metrics": [{"op": "AVERAGE", "metadataKey": "speed"}, {"op": "CARDINALITY", "metadataKey": "weather"}],
        },
        {"metadataKey": "camera.gain", "name": "gain", "ranges": [{"from": 1, "to": 3}, {"from": 3}]},
        {  # disjoint, with gaps, out of order: one GROUP BY over width_bucket (resolvers/stats/buckets.py)
            "metadataKey": "speed",
            "name": "gaps",
            "ranges": [{"from": low, "to": high} for low, high in DISJOINT],
            "metrics": [{"op": "SUM", "metadataKey": "speed"}, {"op": "CARDINALITY", "metadataKey": "weather"}],
        },
    ]
    aggregations = (await api.data(STATS, {"where": where, "ranges": ranges}, key=key))["assetStats"]["aggregations"]
    assert [a["name"] for a in aggregations] == ["speed", "gain", "gaps"]
    specs = [bounds, [(1, 3), (3, None)], DISJOINT]
    for spec, answer, key_ in zip(specs, aggregations, ["speed", "camera.gain", "speed"], strict=True):
        numbers = [(f, _value(f, key_)) for f in facts]
        numbers = [(f, v if _is_number(v) else None) for f, v in numbers]
        labels = [f"{'*' if low is None else float(low)}..{'*' if high is None else float(high)}" for low, high in spec]
        assert [b["key"] for b in answer["buckets"]] == labels
        members = {
            label: [f for f, v in numbers if _in(v, low, high)] for label, (low, high) in zip(labels, spec, strict=True)
        }
        _check_buckets(answer["buckets"], members)
        assert answer["missingCount"] == sum(1 for _, v in numbers if v is None)
        outside = [v for _, v in numbers if v is not None and not any(_in(v, lo, hi) for lo, hi in spec)]
        assert answer["otherCount"] == len(outside)
    # [30, 60) against countAssets' inclusive metadata range [30, 59.999...]: the same assets here.
    in_30_60 = await api.data(COUNT, {"where": {**where, "metadata": {"speed": [30, 59.9999]}}}, key=key)
    assert aggregations[0]["buckets"][1]["count"] == in_30_60["countAssets"]


async def test_time_buckets_by_interval_and_by_ranges_over_columns_and_metadata(api, seeder) -> None:
    project_id, key, _, facts = await _data_set(seeder, seed=17)
    where = {"project": {"id": project_id}}
    times = [
        {"field": "TIMESTAMP", "intervalSeconds": 1800, "metrics": [{"op": "MAX", "metadataKey": "speed"}]},
        {"field": "CREATED_AT", "ranges": [{"to": "2026-03-01T02:00:00Z"}, {"from": "2026-03-01T02:00:00Z"}]},
        {"field": "CREATED_AT", "intervalSeconds": 3600, "origin": "2026-03-01T00:30:00Z", "name": "hourly"},
    ]
    aggregations = (await api.data(STATS, {"where": where, "times": times}, key=key))["assetStats"]["aggregations"]
    assert [a["name"] for a in aggregations] == ["TIMESTAMP", "CREATED_AT", "hourly"]

    half_hours: dict[str, list[dict]] = {}
    for fact in facts:
        if fact["timestamp"] is not None:
            start = START + timedelta(minutes=30 * ((fact["timestamp"] - START).seconds // 1800))
            half_hours.setdefault(start.strftime("%Y-%m-%dT%H:%M:%S.000Z"), []).append(fact)
    assert [b["key"] for b in aggregations[0]["buckets"]] == sorted(half_hours)
    _check_buckets(aggregations[0]["buckets"], half_hours)
    assert aggregations[0]["missingCount"] == sum(1 for f in facts if f["timestamp"] is None)

    cut = START + timedelta(hours=2)
    members = {
        "*..2026-03-01T02:00:00.000Z": [f for f in facts if f["created"] < cut],
        "2026-03-01T02:00:00.000Z..*": [f for f in facts if f["created"] >= cut],
    }
    assert [b["key"] for b in aggregations[1]["buckets"]] == list(members)
    _check_buckets(aggregations[1]["buckets"], members)
    assert aggregations[1]["missingCount"] == aggregations[1]["otherCount"] == 0

    origin = START + timedelta(minutes=30)
    hours = Counter(
        (origin + timedelta(hours=(f["created"] - origin) // timedelta(hours=1))).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        for f in facts
    )
    assert {b["key"]: b["count"] for b in aggregations[2]["buckets"]} == dict(hours)
    for bucket in aggregations[2]["buckets"]:
        low = datetime.fromisoformat(bucket["key"])
        window = {"createdAtGte": bucket["key"], "createdAtLte": (low + timedelta(seconds=3599.999)).isoformat()}
        assert bucket["count"] == (await api.data(COUNT, {"where": {**where, **window}}, key=key))["countAssets"]


async def test_time_buckets_over_a_metadata_key_read_iso_strings_and_epoch_seconds(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    values = ["2026-05-01T10:15:00Z", "2026-05-01T10:45:00+02:00", 1777630000, "2026-05-01", "soon", None, True]
    for value in values:
        await seeder.asset(project, json_metadata={} if value is None else {"seen": value})
    times = [{"field": "METADATA", "metadataKey": "seen", "intervalSeconds": 86400}]
    answer = await api.data(STATS, {"where": {"project": {"id": project.id}}, "times": times}, key=key)
    aggregation = answer["assetStats"]["aggregations"][0]
    # 1777630000 is 2026-05-01T10:06:40Z; the +02:00 time is 08:45Z: four times on 2026-05-01.
    assert [(b["key"], b["count"]) for b in aggregation["buckets"]] == [("2026-05-01T00:00:00.000Z", 4)]
    assert aggregation["missingCount"] == 3
    bad = {"seen": "2026-02-30T10:00:00Z"}
    await seeder.asset(project, json_metadata=bad)
    error = await api.error(STATS, {"where": {"project": {"id": project.id}}, "times": times}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "not a valid time" in error["message"]


async def test_total_is_count_assets_with_visibility_applied_in_sql(api, seeder) -> None:
    project_id, key, _, facts = await _data_set(seeder, seed=19, size=30)
    await _data_set(seeder, seed=23, size=20)  # another organization: invisible to this viewer
    for where in ({}, {"statusIn": ["TODO", "LABELED"]}, {"metadata": {"weather": "rain"}}):
        stats = (await api.data(STATS, {"where": where, "terms": [{"dimension": "STATUS"}]}, key=key))["assetStats"]
        count = (await api.data(COUNT, {"where": where}, key=key))["countAssets"]
        assert stats["total"] == count == sum(b["count"] for b in stats["aggregations"][0]["buckets"])
    assert (await api.data(STATS, {"where": {}}, key=key))["assetStats"]["total"] == len(facts)


BAD_INPUTS = [
    ({"terms": [{"dimension": "METADATA"}]}, "needs a metadataKey"),
    ({"terms": [{"dimension": "STATUS", "metadataKey": "a"}]}, "only applies to dimension METADATA"),
    ({"terms": [{"dimension": "STATUS", "size": 0}]}, "size must be between 1 and 1000"),
    ({"terms": [{"dimension": "STATUS", "size": 1001}]}, "size must be between 1 and 1000"),
    ({"terms": [{"dimension": "SET", "labelTypeIn": ["DEFAULT"]}]}, "labelTypeIn only applies"),
    ({"terms": [{"dimension": "METADATA", "metadataKey": "a..b"}]}, "empty segment"),
    ({"terms": [{"dimension": "STATUS"}] * 11}, "at most 10"),
    ({"metrics": [{"op": "SUM", "metadataKey": ""}]}, "non-empty string"),
    ({"ranges": [{"metadataKey": "speed", "ranges": []}]}, "give 1 to 100 ranges"),
    ({"ranges": [{"metadataKey": "speed", "ranges": [{"from": 5, "to": 5}]}]}, "must be below"),
    ({"times": [{"field": "CREATED_AT"}]}, "either intervalSeconds or ranges"),
    (
        {"ranges": [{"metadataKey": "speed", "ranges": [{"from": i} for i in range(40)], "metrics": METRICS}]},
        "make 1840 columns, at most 1598",
    ),
    ({"times": [{"field": "CREATED_AT", "intervalSeconds": 0}]}, "at least 1"),
    ({"times": [{"field": "METADATA", "intervalSeconds": 60}]}, "needs a metadataKey"),
    ({"times": [{"field": "CREATED_AT", "ranges": [{"from": "yesterday"}]}]}, "from"),
]


@pytest.mark.parametrize(("arguments", "message"), BAD_INPUTS)
async def test_bad_arguments_are_bad_user_input(api, seeder, arguments, message) -> None:
    project_id, key, _, _ = await _data_set(seeder, seed=29, size=5)
    error = await api.error(STATS, {"where": {"project": {"id": project_id}}, **arguments}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert message in error["message"], error


async def test_an_interval_giving_more_than_1000_buckets_is_bad_user_input(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    await seeder.add(
        *[
            models.Asset(project_id=project.id, external_id=f"t{i}", timestamp=START + timedelta(seconds=i))
            for i in range(1001)
        ]
    )
    where = {"project": {"id": project.id}}
    fine = {"times": [{"field": "TIMESTAMP", "intervalSeconds": 2}]}
    assert (
        len((await api.data(STATS, {"where": where, **fine}, key=key))["assetStats"]["aggregations"][0]["buckets"])
        == 501
    )
    too_fine = {"times": [{"field": "TIMESTAMP", "intervalSeconds": 1}]}
    error = await api.error(STATS, {"where": where, **too_fine}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "more than 1000 buckets" in error["message"]


# 1 authentication, 1 total + byStatus, 1 for the top-level metrics, 1 per aggregation.
async def test_one_statement_per_aggregation_whatever_the_number_of_assets(api, seeder, sql_counter) -> None:
    arguments = {
        "terms": [{"dimension": d, "metrics": METRICS[:3]} for d in DIMENSIONS[:6]],
        "ranges": [{"metadataKey": "speed", "ranges": [{"to": 50}, {"from": 50}]}],
        "times": [
            {"field": "TIMESTAMP", "intervalSeconds": 600},
            {"field": "CREATED_AT", "ranges": [{"to": "2026-03-01T01:00:00Z"}]},
        ],
        "metrics": METRICS[:4],
    }
    counts = {}
    for size in (3, 120):
        project_id, key, _, _ = await _data_set(seeder, seed=31, size=size)
        sql_counter.statements.clear()
        with sql_counter:
            await api.data(STATS, {"where": {"project": {"id": project_id}}, **arguments}, key=key)
        counts[size] = sql_counter.count
    assert counts[3] == counts[120] == 1 + 1 + 1 + 9, (counts, sql_counter.statements)


GROUPS = """query($project: ID!) {
  sets(where: {project: {id: $project}}, first: 100, skip: 0) { id stats { total byStatus { key count } } }
  sessions(where: {project: {id: $project}}, first: 100, skip: 0) { id stats { total byStatus { key count } } }
}"""


async def test_set_and_session_stats_equal_the_truth_and_cost_fixed_statements(api, seeder, sql_counter) -> None:
    """Datature list_groups: per set (session) the total and status split, equal to the known truth
    and to countAssets(setIdIn / sessionIdIn); a page of 3 or 20 sets costs the same statements."""
    statements = {}
    for extra_sets in (0, 17):
        project_id, key, ids, facts = await _data_set(seeder, seed=37)
        await seeder.add(
            *[
                models.AssetSet(project_id=project_id, name=f"empty-{i}", created_at=seeder.tick())
                for i in range(extra_sets)
            ]
        )
        sql_counter.statements.clear()
        with sql_counter:
            answer = await api.data(GROUPS, {"project": project_id}, key=key)
        statements[extra_sets] = sql_counter.count
        assert len(answer["sets"]) == 3 + extra_sets and len(answer["sessions"]) == 3
        for kind, field, where_field in (("sets", "sets", "setIdIn"), ("sessions", "sessions", "sessionIdIn")):
            for group in answer[kind]:
                members = [f for f in facts if group["id"] in f[field]]
                assert group["stats"]["total"] == len(members), (kind, group)
                assert {b["key"]: b["count"] for b in group["stats"]["byStatus"]} == dict(
                    Counter(f["status"] for f in members)
                )
                where = {"project": {"id": project_id}, where_field: [group["id"]]}
                assert group["stats"]["total"] == (await api.data(COUNT, {"where": where}, key=key))["countAssets"]
        assert any(g["stats"]["total"] for g in answer["sessions"] if g["id"] == ids["slice"])
    # authentication, the sets, the sessions, one statement for all sets' stats, one for all sessions'.
    assert statements[0] == statements[17] == 5, statements


async def test_buckets_of_ids_name_their_set_session_or_assignee(api, seeder, sql_counter) -> None:
    project_id, key, ids, _ = await _data_set(seeder, seed=43)
    query = """query($where: AssetWhere!, $terms: [TermsInput!]) {
      assetStats(where: $where, terms: $terms) { aggregations { buckets { key name } } }
      sets(where: {project: {id: $project}}, first: 100, skip: 0) { id name }
      sessions(where: {project: {id: $project}}, first: 100, skip: 0) { id name }
    }""".replace("$terms: [TermsInput!])", "$terms: [TermsInput!], $project: ID!)")
    terms = [{"dimension": d} for d in ("SET", "SESSION", "ASSIGNEE", "STATUS")]
    with sql_counter:
        answer = await api.data(
            query, {"where": {"project": {"id": project_id}}, "terms": terms, "project": project_id}, key=key
        )
    sets, sessions, assignees, statuses = answer["assetStats"]["aggregations"]
    known = [{r["id"]: r["name"] for r in answer[kind]} for kind in ("sets", "sessions")]
    known.append(ids["users"])
    for aggregation, names in zip((sets, sessions, assignees), known, strict=True):
        assert aggregation["buckets"]
        assert all(b["name"] == names[b["key"]] for b in aggregation["buckets"]), aggregation
    assert all(b["name"] is None for b in statuses["buckets"])
    # authentication, total (with byStatus, which also answers the STATUS terms), 3 aggregations, the
    # sets and sessions pages, then one batched statement each for the set, session and user names.
    assert sql_counter.count == 1 + 1 + 3 + 2 + 3, sql_counter.statements


async def test_buckets_count_per_status_only_when_the_request_reads_it(api, seeder, sql_counter) -> None:
    project_id, key, _, facts = await _data_set(seeder, seed=47)
    variables = {"where": {"project": {"id": project_id}}, "terms": [{"dimension": "SENSOR"}]}
    plain = """query($where: AssetWhere!, $terms: [TermsInput!]) {
      assetStats(where: $where, terms: $terms) { aggregations { buckets { key count } } } }"""
    with sql_counter:
        await api.data(plain, variables, key=key)
    assert not any("FILTER (WHERE asset.status" in s for s in sql_counter.statements), sql_counter.statements
    through_fragment = """query($where: AssetWhere!, $terms: [TermsInput!]) {
      assetStats(where: $where, terms: $terms) { ...Parts } }
    fragment Parts on AssetStats { aggregations { buckets { key ... on Bucket { byStatus { key count } } } } }"""
    sql_counter.statements.clear()
    with sql_counter:
        answer = await api.data(through_fragment, variables, key=key)
    assert any("FILTER (WHERE asset.status" in s for s in sql_counter.statements), sql_counter.statements
    buckets = answer["assetStats"]["aggregations"][0]["buckets"]
    members: dict[str, list[dict]] = {}
    for fact in facts:
        for k in _keys(fact, "SENSOR"):
            members.setdefault(k, []).append(fact)
    for bucket in buckets:
        statuses = Counter(f["status"] for f in members[bucket["key"]])
        assert {b["key"]: b["count"] for b in bucket["byStatus"]} == dict(statuses)
    assert len(buckets) == 2


async def test_a_sum_beyond_a_double_is_null_with_its_value_count(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    project = await seeder.project(org)
    await seeder.assets(project, 2, json_metadata={"big": 1e308})
    metrics = [{"op": "SUM", "metadataKey": "big"}, {"op": "MAX", "metadataKey": "big"}]
    answer = await api.data(STATS, {"where": {"project": {"id": project.id}}, "metrics": metrics}, key=key)
    assert answer["assetStats"]["metrics"] == [
        {"op": "SUM", "metadataKey": "big", "value": None, "valueCount": 2},
        {"op": "MAX", "metadataKey": "big", "value": 1e308, "valueCount": 2},
    ]


async def test_the_widest_range_aggregation_allowed_runs(api, seeder) -> None:
    """34 ranges × (count, 5 statuses, 20 metrics × 2) = 1564 columns: within PostgreSQL's 1664."""
    project_id, key, _, facts = await _data_set(seeder, seed=53, size=10)
    ranges = [{"metadataKey": "speed", "ranges": [{"from": i} for i in range(34)], "metrics": METRICS}]
    query = STATS.replace("metrics { op metadataKey value valueCount } } }", "count } }")
    answer = await api.data(query, {"where": {"project": {"id": project_id}}, "ranges": ranges}, key=key)
    buckets = answer["assetStats"]["aggregations"][0]["buckets"]
    assert len(buckets) == 34
    assert buckets[0]["count"] == sum(1 for f in facts if _is_number(_value(f, "speed")) and _value(f, "speed") >= 0)
