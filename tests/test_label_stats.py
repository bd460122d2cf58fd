"""labelSources, labelCategories and Asset.labelStats on generated labels with known truth (computed here
from the generated json responses, independently of the SQL), visibility, and pinned statement counts."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

from tests.test_workflow import Team

SOURCES = """query($w: LabelWhere!) { labelSources(where: $w) { labelType modelName count assetCount } }"""
CATEGORIES = """query($w: LabelWhere!) { labelCategories(where: $w) { job category count labelCount assetCount } }"""
STATS = """query($ids: [ID!]!) { assets(where: {idIn: $ids}, first: 100, skip: 0) { id
  labelStats { total byType { labelType count } annotationLabelId annotationCount
               byCategory { job category count } } } }"""

TYPES = [("DEFAULT", None), ("REVIEW", None), ("AUTOSAVE", None), ("PREDICTION", "m1"), ("PREDICTION", "m2")]
TYPES += [("INFERENCE", "m1")]


def _response(rng: random.Random) -> dict:
    """A json response mixing classification answers, object annotations and shapes that hold none."""
    response: dict = {}
    if rng.random() < 0.8:
        response["CLASS"] = {"categories": [{"name": rng.choice("AB")} for _ in range(rng.randint(0, 2))]}
    if rng.random() < 0.8:
        response["OBJ"] = {
            "annotations": [
                {"categories": [{"name": rng.choice(["CAR", "BUS", "BIKE"])}], "boundingPoly": []}
                for _ in range(rng.randint(0, 4))
            ]
        }
    if rng.random() < 0.3:
        response["TEXT"] = "free text"  # not an object: no categories
    if rng.random() < 0.2:
        response["ODD"] = {"annotations": "not a list", "categories": {"name": "NOPE"}}
    return response


def _occurrences(response: dict) -> Counter:
    counts: Counter = Counter()
    for job in ("CLASS", "OBJ"):
        value = response.get(job, {})
        for category in value.get("categories", []):
            counts[(job, category["name"])] += 1
        for annotation in value.get("annotations", []):
            for category in annotation["categories"]:
                counts[(job, category["name"])] += 1
    # `ODD.categories` is an object, which lax jsonpath reads as a one-element array: one occurrence.
    if "ODD" in response:
        counts[("ODD", "NOPE")] += 1
    return counts


async def _generated(seeder, team: Team, assets: int = 12, seed: int = 7):
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(assets):
        asset = await seeder.asset(team.project, status="LABELED")
        rows.append(asset)
        for _ in range(rng.randint(0, 5)):
            label_type, model = rng.choice(TYPES)
            author = team.user["REVIEWER" if label_type == "REVIEW" else "LABELER"]
            response = _response(rng)
            label = await seeder.label(asset, author, label_type=label_type, model_name=model, json_response=response)
            labels.append(label)
    # A label of a project the viewer may not see never counts.
    hidden = await seeder.asset(team.other_project)
    await seeder.label(hidden, team.user["OUTSIDER"], json_response={"CLASS": {"categories": [{"name": "A"}]}})
    return rows, labels


def _histogram(labels) -> list[dict]:
    count: Counter = Counter()
    label_ids, asset_ids = defaultdict(set), defaultdict(set)
    for label in labels:
        for key, n in _occurrences(label.json_response).items():
            count[key] += n
            label_ids[key].add(label.id)
            asset_ids[key].add(label.asset_id)
    ordered = sorted(count, key=lambda k: (-count[k], k[0], k[1]))
    return [
        {
            "job": j,
            "category": c,
            "count": count[(j, c)],
            "labelCount": len(label_ids[(j, c)]),
            "assetCount": len(asset_ids[(j, c)]),
        }
        for j, c in ordered
    ]


async def test_label_sources_and_categories_equal_the_truth(api, seeder, sql_counter) -> None:
    team = await Team().build(seeder)
    _, labels = await _generated(seeder, team)
    key = team.key["LABELER"]
    project = {"project": {"id": team.project.id}}

    with sql_counter:
        sources = (await api.data(SOURCES, {"w": {}}, key=key))["labelSources"]
    assert sql_counter.count == 2  # the API key, then one statement
    counts = Counter((label.label_type, label.model_name) for label in labels)
    assets = defaultdict(set)
    for label in labels:
        assets[(label.label_type, label.model_name)].add(label.asset_id)
    assert sorted((s["labelType"], s["modelName"], s["count"], s["assetCount"]) for s in sources) == sorted(
        (t, m, n, len(assets[(t, m)])) for (t, m), n in counts.items()
    )
    assert [s["count"] for s in sources] == sorted((s["count"] for s in sources), reverse=True)

    sql_counter.statements.clear()
    with sql_counter:
        histogram = (await api.data(CATEGORIES, {"w": project}, key=key))["labelCategories"]
    assert sql_counter.count == 2
    assert histogram == _histogram(labels)
    assert any(h["job"] == "OBJ" for h in histogram) and any(h["job"] == "CLASS" for h in histogram)

    # The histogram agrees with Kili's category search, which counts occurrences the same way.
    count = "query($w: LabelWhere!) { countLabels(where: $w) }"
    for entry in histogram:
        search = {**project, "search": f"{entry['job']}.{entry['category']}.count > 0"}
        assert (await api.data(count, {"w": search}, key=key))["countLabels"] == entry["labelCount"], entry

    where = {**project, "typeIn": ["PREDICTION"], "modelNameIn": ["m1"]}
    chosen = [label for label in labels if label.label_type == "PREDICTION" and label.model_name == "m1"]
    assert (await api.data(CATEGORIES, {"w": where}, key=key))["labelCategories"] == _histogram(chosen)
    assert (await api.data(CATEGORIES, {"w": {"idIn": []}}, key=key))["labelCategories"] == []


async def test_asset_label_stats_equal_the_truth_with_a_fixed_statement_count(api, seeder, sql_counter) -> None:
    team = await Team().build(seeder)
    assets, labels = await _generated(seeder, team, seed=11)
    by_asset = defaultdict(list)
    for label in labels:  # seeded in creation order
        by_asset[label.asset_id].append(label)

    with sql_counter:
        rows = (await api.data(STATS, {"ids": [a.id for a in assets]}, key=team.key["LABELER"]))["assets"]
    many = sql_counter.count
    assert len(rows) == len(assets)
    for row in rows:
        mine = by_asset[row["id"]]
        stats = row["labelStats"]
        assert stats["total"] == len(mine)
        assert stats["byType"] == [
            {"labelType": t, "count": n} for t, n in sorted(Counter(label.label_type for label in mine).items())
        ]
        annotations = [label for label in mine if label.label_type in ("DEFAULT", "REVIEW")]
        current = annotations[-1] if annotations else None
        assert stats["annotationLabelId"] == (current.id if current else None)
        occurrences = _occurrences(current.json_response) if current else Counter()
        assert stats["annotationCount"] == sum(occurrences.values())
        expected = sorted(occurrences.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1]))
        assert stats["byCategory"] == [{"job": j, "category": c, "count": n} for (j, c), n in expected]
    assert any(row["labelStats"]["annotationCount"] > 0 for row in rows)
    assert any(row["labelStats"]["total"] == 0 for row in rows) or all(by_asset[a.id] for a in assets)

    # The API key, the page, then two statements for labelStats, whatever the number of assets (the
    # second only when some asset of the page has a DEFAULT or REVIEW label).
    assert many == 4
    annotated = next(row["id"] for row in rows if row["labelStats"]["annotationLabelId"])
    sql_counter.statements.clear()
    with sql_counter:
        await api.data(STATS, {"ids": [annotated]}, key=team.key["LABELER"])
    assert sql_counter.count == 4


async def test_label_stats_of_an_asset_without_labels(api, seeder) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project)
    rows = (await api.data(STATS, {"ids": [asset.id]}, key=team.key["LABELER"]))["assets"]
    assert rows[0]["labelStats"] == {
        "total": 0,
        "byType": [],
        "annotationLabelId": None,
        "annotationCount": 0,
        "byCategory": [],
    }
