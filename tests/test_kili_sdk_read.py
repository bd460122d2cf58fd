"""The published Kili SDK (26.2.4), with its constructor checks on, reads what the database holds."""

from __future__ import annotations

import pytest

from gateway.db import models
from tests.live import KiliError


async def test_constructor_checks_pass_and_a_bad_key_is_refused(kili_connect, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org)
    kili_connect(key)
    with pytest.raises(KiliError) as refused:
        kili_connect("lg_not-a-key")
    assert refused.value.type == "AuthenticationFailed"


async def test_projects_and_count_projects(kili_connect, seeder) -> None:
    org = await seeder.organization()
    user, key = await seeder.user(org)
    made = [await seeder.project(org, members={user.id: "LABELER"}, json_interface={"jobs": {}}) for _ in range(3)]
    await seeder.project(org)  # not a member
    kili = kili_connect(key)
    assert kili.count_projects() == 3
    projects = kili.projects()
    assert [p["id"] for p in projects] == [p.id for p in made]
    assert projects[0]["jsonInterface"] == {"jobs": {}}
    assert projects[0]["roles"][0]["role"] == "LABELER"
    assert [p["title"] for p in kili.projects(project_id=made[1].id)] == [made[1].title]


async def test_assets_and_labels_across_several_pages(kili_connect, seeder) -> None:
    """250 assets: the SDK pages them 100/100/50 (50 at a time with labels), trusting countAssets."""
    org = await seeder.organization()
    user, key = await seeder.user(org)
    project = await seeder.project(org, members={user.id: "LABELER"})
    assets = await seeder.assets(project, 250, json_metadata={"camera": "front"})
    await seeder.add(
        *[
            models.Label(
                asset_id=a.id,
                project_id=project.id,
                author_id=user.id,
                label_type="DEFAULT",
                json_response={"JOB": {"categories": [{"name": "CAR"}]}},
                created_at=seeder.tick(),
            )
            for a in assets
        ]
    )
    kili = kili_connect(key)

    rows = kili.assets(project_id=project.id)  # default fields, labels.jsonResponse included
    assert [r["id"] for r in rows] == [a.id for a in assets]
    assert [r["externalId"] for r in rows] == [a.external_id for a in assets]
    assert all(r["jsonMetadata"] == {"camera": "front"} for r in rows)
    assert all(r["labels"][0]["author"]["email"] == user.email for r in rows)
    assert kili.count_assets(project_id=project.id) == 250
    ids = [r["id"] for r in kili.assets(project_id=project.id, fields=["id"], skip=30, first=180)]
    assert ids == [a.id for a in assets[30:210]]

    labels = kili.labels(project_id=project.id)
    assert sorted(label["assetId"] for label in labels) == sorted(a.id for a in assets)
    assert all(label["jsonResponse"] == {"JOB": {"categories": [{"name": "CAR"}]}} for label in labels)
    assert kili.count_labels(project_id=project.id) == 250
