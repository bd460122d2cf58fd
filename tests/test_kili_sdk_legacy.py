"""The Kili SDK generation 2.159–2.164 (the reference file's methods), driven as the published kili
2.164.0 from `.venv-kili-legacy` with its constructor checks on, works unchanged next to 26.2.4.

Every write is checked in the database through GraphQL (the in-process `api`), not only through what
the SDK echoes; every read is compared with the rows the seeder wrote.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime

import pytest

from gateway.db import models
from tests.images import png_bytes, tiff_bytes
from tests.live import KiliError

INTERFACE = {"jobs": {"CLASS": {"mlTask": "CLASSIFICATION", "content": {"categories": {"CAR": {"name": "Car"}}}}}}
CAR = {"CLASS": {"categories": [{"name": "CAR"}]}}

ASSETS = """query($where: AssetWhere!) { assets(where: $where, first: 100, skip: 0) {
  id externalId status priority jsonMetadata content url mimeType sizeBytes resolution { width height }
  isHoneypot isUsedForConsensus honeypotMark consensusMark toBeLabeledBy { email } labels { id }
} }"""


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def stored(api, key: str, project_id: str) -> list[dict]:
    """The project's assets as the database holds them (created time, then id), jsonMetadata decoded."""
    rows = (await api.data(ASSETS, {"where": {"project": {"id": project_id}}}, key=key))["assets"]
    return [{**r, "jsonMetadata": json.loads(r["jsonMetadata"])} for r in rows]


async def team(seeder, *, input_type: str = "IMAGE"):
    """An organization, a TEAM_MANAGER with a key, a LABELER, and a project they are members of."""
    org = await seeder.organization()
    manager, key = await seeder.user(org)
    labeler, labeler_key = await seeder.user(org)
    project = await seeder.project(
        org,
        members={manager.id: "TEAM_MANAGER", labeler.id: "LABELER"},
        input_type=input_type,
        json_interface=INTERFACE,
    )
    return manager, key, labeler, labeler_key, project


async def test_constructor_checks_pass_and_a_bad_key_is_refused(kili_legacy_connect, seeder) -> None:
    """With checks on, 2.164 asks `{ me { id email } }` (over plain HTTP), the key's expiry
    (`apiKeys`), then introspects the schema and validates each document against it."""
    _, key, _, _, project = await team(seeder)
    kili = kili_legacy_connect(key)
    assert kili.count_assets(project_id=project.id) == 0
    with pytest.raises(KiliError) as refused:
        kili_legacy_connect("lg_not-a-key")
    assert refused.value.type == "AuthenticationFailed"


async def test_assets_and_count_assets_filters(kili_legacy_connect, seeder) -> None:
    manager, key, labeler, _, project = await team(seeder)
    rows = [  # (external id, status, metadata, created, extra columns)
        ("cam-front-0", "TODO", {"camera": "front", "speed": 10}, "2024-01-10", {}),
        ("cam-back-1", "LABELED", {"camera": "back", "speed": 30}, "2024-02-10", {}),
        ("cam-front-2", "TO_REVIEW", {"camera": "front", "speed": 50}, "2024-03-10", {"consensus_mark": 0.4}),
        ("other-3", "ONGOING", {"camera": "side"}, "2024-04-10", {"skipped": True}),
        ("other-4", "REVIEWED", {}, "2024-05-10", {"honeypot_mark": 0.8, "is_honeypot": True}),
    ]
    assets = [
        models.Asset(
            project_id=project.id,
            external_id=external_id,
            content=f"https://example.com/{external_id}.jpg",
            status=status,
            json_metadata=metadata,
            created_at=day(created),
            updated_at=day(created).replace(hour=12),
            **extra,
        )
        for external_id, status, metadata, created, extra in rows
    ]
    await seeder.add(*assets)
    a0, a1, a2, a3, a4 = assets
    labels = [
        models.Label(
            asset_id=asset.id,
            project_id=project.id,
            author_id=author.id,
            label_type=label_type,
            json_response=CAR,
            created_at=day(created),
        )
        for asset, author, label_type, created in [
            (a1, labeler, "DEFAULT", "2024-02-11"),
            (a2, labeler, "DEFAULT", "2024-03-11"),
            (a2, manager, "REVIEW", "2024-03-12"),
            (a3, labeler, "AUTOSAVE", "2024-04-11"),
            (a4, labeler, "DEFAULT", "2024-05-11"),
            (a4, manager, "REVIEW", "2024-05-12"),
        ]
    ]
    await seeder.add(*labels)
    await seeder.assign(a3, labeler)
    kili = kili_legacy_connect(key)

    def ids(**filters) -> list[str]:
        found = [a["id"] for a in kili.assets(project_id=project.id, fields=["id"], **filters)]
        assert kili.count_assets(project_id=project.id, **filters) == len(found), filters
        return found

    # The default fields, nested labels included, with JSON decoded by the SDK.
    everything = kili.assets(project_id=project.id)
    assert [a["id"] for a in everything] == [a.id for a in assets]
    assert [a["externalId"] for a in everything] == [r[0] for r in rows]
    assert [a["status"] for a in everything] == [r[1] for r in rows]
    assert [a["jsonMetadata"] for a in everything] == [r[2] for r in rows]
    assert [a["skipped"] for a in everything] == [False, False, False, True, False]
    assert [a["isHoneypot"] for a in everything] == [False, False, False, False, True]
    assert everything[0]["content"] == "https://example.com/cam-front-0.jpg"
    assert everything[1]["createdAt"] == "2024-02-10T00:00:00.000Z"
    assert [(lb["author"]["email"], lb["jsonResponse"]) for lb in everything[2]["labels"]] == [
        (labeler.email, CAR),
        (manager.email, CAR),
    ]
    assert kili.count_assets(project_id=project.id) == 5

    nested = kili.assets(
        project_id=project.id,
        asset_id=a4.id,
        fields=["id", "labels.labelType", "labels.author.id", "latestLabel.labelType", "toBeLabeledBy.email"],
    )
    assert [(lb["labelType"], lb["author"]["id"]) for lb in nested[0]["labels"]] == [
        ("DEFAULT", labeler.id),
        ("REVIEW", manager.id),
    ]
    assert nested[0]["latestLabel"]["labelType"] == "REVIEW" and nested[0]["toBeLabeledBy"] == []
    assert kili.assets(project_id=project.id, asset_id=a3.id, fields=["toBeLabeledBy.email"]) == [
        {"toBeLabeledBy": [{"email": labeler.email}]}
    ]

    assert ids(metadata_where={"camera": "front"}) == [a0.id, a2.id]
    assert ids(metadata_where={"speed": [20, 60]}) == [a1.id, a2.id]
    assert ids(status_in=["LABELED", "TO_REVIEW"]) == [a1.id, a2.id]
    assert ids(external_id_strictly_in=["cam-back-1", "other-4"]) == [a1.id, a4.id]
    # 2.164 sends its deprecated `external_id_contains` as externalIdStrictlyIn (exact ids) ...
    assert ids(external_id_contains=["other-3"]) == [a3.id]
    # ... and `external_id_in` as externalIdIn, a substring match.
    assert ids(external_id_in=["FRONT"]) == [a0.id, a2.id]
    assert ids(asset_id_in=[a1.id, a3.id]) == [a1.id, a3.id]
    assert ids(asset_id_not_in=[a0.id, a1.id]) == [a2.id, a3.id, a4.id]
    assert ids(skipped=True) == [a3.id]
    assert ids(skipped=False) == [a0.id, a1.id, a2.id, a4.id]
    assert ids(created_at_gte="2024-02-01", created_at_lte="2024-04-10") == [a1.id, a2.id, a3.id]
    assert ids(updated_at_gte="2024-03-10T12:00:00.000Z") == [a2.id, a3.id, a4.id]
    assert ids(honeypot_mark_gte=0.5) == [a4.id]
    assert ids(consensus_mark_lte=0.5) == [a2.id]
    assert ids(assignee_in=[labeler.email]) == [a3.id]
    assert ids(assignee_not_in=[labeler.id]) == [a0.id, a1.id, a2.id, a4.id]
    assert ids(label_type_in=["REVIEW"]) == [a2.id, a4.id]
    assert ids(label_author_in=[manager.email]) == [a2.id, a4.id]
    assert ids(label_created_at="2024-04-11") == [a3.id]
    assert ids(label_created_at_gte="2024-03-12", label_created_at_lte="2024-05-11") == [a2.id, a3.id, a4.id]
    assert ids(label_labeler_in=[labeler.id]) == [a1.id, a2.id, a4.id]
    assert ids(label_reviewer_in=[manager.email]) == [a2.id, a4.id]
    assert ids(label_category_search="CLASS.CAR.count >= 1", label_type_in=["DEFAULT"]) == [a1.id, a2.id, a4.id]
    assert ids(status_in=["TODO"], metadata_where={"camera": "front"}, skipped=False) == [a0.id]
    assert [a["id"] for a in kili.assets(project_id=project.id, fields=["id"], skip=1, first=2)] == [a1.id, a2.id]


@pytest.mark.parametrize("input_type", ["VIDEO", "LLM_RLHF", "LLM_INSTR_FOLLOWING"])
async def test_assets_of_video_and_llm_projects_keep_the_json_response(kili_legacy_connect, seeder, input_type) -> None:
    """For these projects 2.164 asks each label's `annotations` (Kili's per-annotation records) to rebuild
    the json response client-side. labelgate keeps none, answers an empty list, and the SDK keeps the
    stored `jsonResponse`."""
    _, key, labeler, _, project = await team(seeder, input_type=input_type)
    answer = {"0": CAR, "1": {}} if input_type == "VIDEO" else CAR
    asset = await seeder.asset(project, status="LABELED")
    await seeder.label(asset, labeler, json_response=answer)
    kili = kili_legacy_connect(key)
    (row,) = kili.assets(project_id=project.id)
    assert [(lb["author"]["email"], lb["jsonResponse"]) for lb in row["labels"]] == [(labeler.email, answer)]
    (row,) = kili.assets(project_id=project.id, fields=["id", "latestLabel.jsonResponse", "labels.annotations.id"])
    assert row["latestLabel"]["jsonResponse"] == answer and row["labels"] == [{"annotations": []}]


async def test_paging_past_one_page(kili_legacy_connect, seeder) -> None:
    """150 assets: the SDK pages 100 at a time, the server answers exactly what `first`/`skip` ask."""
    _, key, _, _, project = await team(seeder)
    assets = await seeder.assets(project, 150)
    kili = kili_legacy_connect(key)
    assert kili.count_assets(project_id=project.id) == 150
    assert [a["id"] for a in kili.assets(project_id=project.id, fields=["id"])] == [a.id for a in assets]
    # Without `id` among the fields the SDK trusts countAssets and asks first=100, then stops.
    external_ids = [a["externalId"] for a in kili.assets(project_id=project.id, fields=["externalId"], first=100)]
    assert external_ids == [a.external_id for a in assets[:100]]
    # With `id` among the fields, 2.164's paginator de-duplicates by id and asks full pages: when `first`
    # is a multiple of its page size (100) it asks the next page and yields one row of it before it
    # notices it has enough. A bug of that SDK: the rows the server answered come first, in order.
    rows = kili.assets(project_id=project.id, fields=["id"], first=100, skip=20)
    assert [a["id"] for a in rows[:100]] == [a.id for a in assets[20:120]]
    assert [a["id"] for a in rows[100:]] in ([], [assets[120].id])  # 2.164 yields [assets[120]]: the next row
    assert [a["id"] for a in kili.assets(project_id=project.id, fields=["id"], first=30, skip=110)] == [
        a.id for a in assets[110:140]
    ]


async def test_append_urls_with_metadata(kili_legacy_connect, seeder, api) -> None:
    _, key, _, _, project = await team(seeder)
    kili = kili_legacy_connect(key)
    urls = [f"https://example.com/{i}.jpg" for i in range(3)]
    result = kili.append_many_to_dataset(
        project_id=project.id,
        content_array=urls,
        external_id_array=["a", "b", "c"],
        json_metadata_array=[{"camera": "front", "i": i} for i in range(3)],
        is_honeypot_array=[False, True, False],
    )
    assert result["id"] == project.id
    rows = await stored(api, key, project.id)
    assert [r["id"] for r in rows] == result["asset_ids"]
    assert [(r["externalId"], r["content"], r["url"], r["status"]) for r in rows] == [
        (e, u, u, "TODO") for e, u in zip("abc", urls, strict=True)
    ]
    assert [r["jsonMetadata"] for r in rows] == [{"camera": "front", "i": i} for i in range(3)]
    assert [r["isHoneypot"] for r in rows] == [False, True, False]

    # A duplicate external id: the SDK asks filterExistingAssets and drops it, keeping the new one.
    kili.append_many_to_dataset(project_id=project.id, content_array=urls[:2], external_id_array=["a", "d"])
    assert [r["externalId"] for r in await stored(api, key, project.id)] == ["a", "b", "c", "d"]


async def test_append_local_image_files_through_signed_urls(kili_legacy_connect, seeder, api, tmp_path) -> None:
    """2.164 checks the organization's licence (`me`, then `organizations{license{uploadLocalData}}`),
    asks signed PUT URLs (`createUploadBucketSignedUrls`), PUTs the bytes and appends the URLs."""
    _, key, _, _, project = await team(seeder)
    kili = kili_legacy_connect(key)
    files = []
    for i, (w, h) in enumerate([(4, 3), (10, 7)]):
        path = tmp_path / f"image{i}.png"
        path.write_bytes(png_bytes(w, h, seed=i))
        files.append(path)
    result = kili.append_many_to_dataset(
        project_id=project.id,
        content_array=[str(p) for p in files],
        external_id_array=["img0", "img1"],
        json_metadata_array=[{"shot": 0}, {"shot": 1}],
    )
    rows = await stored(api, key, project.id)
    assert [r["id"] for r in rows] == result["asset_ids"]
    assert [(r["externalId"], r["mimeType"], r["jsonMetadata"]) for r in rows] == [
        ("img0", "image/png", {"shot": 0}),
        ("img1", "image/png", {"shot": 1}),
    ]
    assert [r["sizeBytes"] for r in rows] == [p.stat().st_size for p in files]
    assert rows[1]["resolution"] == {"width": 10, "height": 7}
    assert [fetch(r["url"]) for r in rows] == [p.read_bytes() for p in files]
    # The same bytes come back through the SDK's `content`.
    contents = kili.assets(project_id=project.id, fields=["externalId", "content"])
    assert [fetch(a["content"]) for a in contents] == [p.read_bytes() for p in files]


async def test_tiff_files_and_hosted_videos_go_the_asynchronous_way(kili_legacy_connect, seeder, api, tmp_path) -> None:
    """TIFF files (and big images) and videos without complete processing parameters go through
    2.164's `appendManyFramesToDatasetAsynchronously`, then the SDK polls `notifications` until SUCCESS:
    labelgate imports them as appendManyAssetsAsynchronously does, the assets already in."""
    _, key, _, _, project = await team(seeder)
    kili = kili_legacy_connect(key)
    path = tmp_path / "tile.tif"
    path.write_bytes(tiff_bytes())
    result = kili.append_many_to_dataset(
        project_id=project.id, content_array=[str(path)], external_id_array=["tif1"], json_metadata_array=[{"z": 1}]
    )
    assert result == {"id": project.id, "asset_ids": []}  # the SDK reports no ids for asynchronous imports
    (row,) = await stored(api, key, project.id)
    assert (row["externalId"], row["mimeType"], row["jsonMetadata"]) == ("tif1", "image/tiff", {"z": 1})
    assert row["resolution"] == {"width": 2, "height": 2} and fetch(row["url"]) == path.read_bytes()

    _, key, _, _, videos = await team(seeder, input_type="VIDEO")
    kili = kili_legacy_connect(key)
    url = "https://example.com/drive.mp4"
    result = kili.append_many_to_dataset(project_id=videos.id, content_array=[url], external_id_array=["drive"])
    assert result == {"id": videos.id, "asset_ids": []}
    assert [(r["externalId"], r["content"], r["status"]) for r in await stored(api, key, videos.id)] == [
        ("drive", url, "TODO")
    ]
    notifications = kili.notifications()
    assert [n["status"] for n in notifications] == ["SUCCESS"]


async def test_append_raw_text_to_a_text_project(kili_legacy_connect, seeder, api) -> None:
    """2.164 uploads raw text as a text/plain object through signed URLs (after the same licence check
    as local files) and appends the URLs: the text is in the bucket, and comes back through `content`."""
    _, key, _, _, project = await team(seeder, input_type="TEXT")
    kili = kili_legacy_connect(key)
    texts = ["Hello, labelgate.", "Second text, with ünïcode."]
    kili.append_many_to_dataset(
        project_id=project.id,
        content_array=texts,
        external_id_array=["t1", "t2"],
        json_metadata_array=[{"lang": "en"}, {"lang": "de"}],
    )
    rows = await stored(api, key, project.id)
    assert [(r["externalId"], r["jsonMetadata"]) for r in rows] == [("t1", {"lang": "en"}), ("t2", {"lang": "de"})]
    assert all(r["mimeType"].startswith("text/plain") for r in rows)
    assert [fetch(r["url"]).decode() for r in rows] == texts
    assert [fetch(a["content"]).decode() for a in kili.assets(project_id=project.id, fields=["content"])] == texts


async def test_update_properties_and_external_ids(kili_legacy_connect, seeder, api) -> None:
    _, key, labeler, _, project = await team(seeder)
    assets = await seeder.assets(project, 3)
    ids = [a.id for a in assets]
    kili = kili_legacy_connect(key)

    answer = kili.update_properties_in_assets(
        asset_ids=ids[:2],
        priorities=[5, 7],
        json_metadatas=[{"k": 1}, {"k": 2}],
        consensus_marks=[0.5, 0.25],
        honeypot_marks=[0.75, 1.0],
        is_used_for_consensus_array=[True, False],
        is_honeypot_array=[False, True],
        to_be_labeled_by_array=[[labeler.email], []],
    )
    assert answer == [{"id": ids[0]}, {"id": ids[1]}]
    kili.update_properties_in_assets(external_ids=[assets[2].external_id], project_id=project.id, priorities=[9])
    rows = await stored(api, key, project.id)
    assert [(r["priority"], r["jsonMetadata"], r["status"]) for r in rows] == [
        (5, {"k": 1}, "TODO"),
        (7, {"k": 2}, "TODO"),
        (9, {}, "TODO"),
    ]
    assert [(r["consensusMark"], r["honeypotMark"]) for r in rows[:2]] == [(0.5, 0.75), (0.25, 1.0)]
    assert [(r["isUsedForConsensus"], r["isHoneypot"]) for r in rows[:2]] == [(True, False), (False, True)]
    assert [r["toBeLabeledBy"] for r in rows] == [[{"email": labeler.email}], [], []]

    assert kili.change_asset_external_ids(new_external_ids=["renamed"], asset_ids=[ids[0]]) == [{"id": ids[0]}]
    kili.change_asset_external_ids(
        new_external_ids=["renamed1", "renamed2"],
        external_ids=[assets[1].external_id, assets[2].external_id],
        project_id=project.id,
    )
    assert [r["externalId"] for r in await stored(api, key, project.id)] == ["renamed", "renamed1", "renamed2"]


async def test_add_to_review_send_back_to_queue_and_delete(kili_legacy_connect, seeder, api) -> None:
    """The legacy names (addAllLabeledAssetsToReview, sendBackAssetsToQueue, deleteManyFromDataset) answer
    the project, which the SDK then uses to check the last asset it sent and to list the assets moved.

    The last id given is always one that moves: 2.164 counts that asset in the status asked for and
    retries the count without end until it matches (`verify_last_batch`), so a last id the server
    declines (say a TODO asset sent to review) would never return, whatever the server answers."""
    _, key, labeler, _, project = await team(seeder)
    todo, labeled, reviewed, ongoing = [
        await seeder.asset(project, status=status) for status in ("TODO", "LABELED", "REVIEWED", "ONGOING")
    ]
    await seeder.label(labeled, labeler)
    kili = kili_legacy_connect(key)

    async def statuses() -> list[str]:
        return [r["status"] for r in await stored(api, key, project.id)]

    moved = kili.add_to_review(asset_ids=[todo.id, ongoing.id, labeled.id, reviewed.id])
    assert moved == {"id": project.id, "asset_ids": [labeled.id, reviewed.id]}
    assert await statuses() == ["TODO", "TO_REVIEW", "TO_REVIEW", "ONGOING"]

    # Nothing changes (already TO_REVIEW): the server answers null and the SDK returns None, with and
    # without project_id (with it, the SDK's check finds the last asset TO_REVIEW and is satisfied).
    assert kili.add_to_review(asset_ids=[labeled.id, reviewed.id]) is None
    assert kili.add_to_review(external_ids=[reviewed.external_id], project_id=project.id) is None
    assert await statuses() == ["TODO", "TO_REVIEW", "TO_REVIEW", "ONGOING"]

    moved = kili.send_back_to_queue(external_ids=[todo.external_id, labeled.external_id], project_id=project.id)
    assert moved == {"id": project.id, "asset_ids": [labeled.id]}
    assert await statuses() == ["TODO", "ONGOING", "TO_REVIEW", "ONGOING"]
    assert kili.send_back_to_queue(asset_ids=[todo.id]) is None  # TODO: nothing to send back
    assert kili.send_back_to_queue(asset_ids=[reviewed.id]) == {"id": project.id, "asset_ids": [reviewed.id]}
    assert await statuses() == ["TODO", "ONGOING", "ONGOING", "ONGOING"]

    assert kili.delete_many_from_dataset(asset_ids=[labeled.id, ongoing.id]) == {"id": project.id}
    rows = await stored(api, key, project.id)
    assert [r["id"] for r in rows] == [todo.id, reviewed.id]
    count_labels = "query($id: ID!) { countLabels(where: {project: {id: $id}}) }"
    assert (await api.data(count_labels, {"id": project.id}, key=key))["countLabels"] == 0  # gone with its asset
    assert kili.delete_many_from_dataset(external_ids=[todo.external_id], project_id=project.id) == {"id": project.id}
    assert [r["id"] for r in await stored(api, key, project.id)] == [reviewed.id]


async def test_a_labeler_is_refused_and_nothing_changes(kili_legacy_connect, seeder, api) -> None:
    """The SDK raises the server's FORBIDDEN (it keeps the message, not extensions.code)."""
    _, key, _, labeler_key, project = await team(seeder)
    asset = await seeder.asset(project, status="LABELED")
    kili = kili_legacy_connect(labeler_key)
    with pytest.raises(KiliError) as refused:
        kili.add_to_review(asset_ids=[asset.id])
    assert f"project '{project.id}': your role is LABELER, it takes REVIEWER" in refused.value.message
    with pytest.raises(KiliError) as refused:
        kili.delete_many_from_dataset(asset_ids=[asset.id])
    assert f"project '{project.id}': your role is LABELER, it takes TEAM_MANAGER" in refused.value.message
    assert [r["status"] for r in await stored(api, key, project.id)] == ["LABELED"]
