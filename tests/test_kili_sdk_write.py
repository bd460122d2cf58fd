"""The published Kili SDK (26.2.4) writes through labelgate, with its checks on, and its read
methods then show the new state."""

from __future__ import annotations

import urllib.request

import pytest

from tests.images import png_bytes, tiff_bytes
from tests.live import KiliError

INTERFACE = {"jobs": {"CLASS": {"mlTask": "CLASSIFICATION", "content": {"categories": {"CAR": {"name": "Car"}}}}}}
CAR = {"CLASS": {"categories": [{"name": "CAR"}]}}


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


async def test_create_project_and_append_url_assets(kili_connect, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org)
    kili = kili_connect(key)
    project_id = kili.create_project(title="Streets", input_type="IMAGE", json_interface=INTERFACE)["id"]
    project = kili.projects(project_id=project_id)[0]
    assert project["title"] == "Streets" and project["jsonInterface"] == INTERFACE

    urls = [f"https://example.com/{i}.jpg" for i in range(3)]
    result = kili.append_many_to_dataset(
        project_id=project_id,
        content_array=urls,
        external_id_array=["a", "b", "c"],
        json_metadata_array=[{"camera": "front", "i": i} for i in range(3)],
    )
    assets = kili.assets(project_id=project_id, fields=["id", "externalId", "content", "jsonMetadata", "status"])
    assert [a["id"] for a in assets] == result["asset_ids"]
    assert [(a["externalId"], a["content"], a["status"]) for a in assets] == [
        ("a", urls[0], "TODO"),
        ("b", urls[1], "TODO"),
        ("c", urls[2], "TODO"),
    ]
    assert assets[2]["jsonMetadata"] == {"camera": "front", "i": 2}

    # A duplicate external id: the SDK asks filterExistingAssets and drops it, keeping the new one.
    kili.append_many_to_dataset(project_id=project_id, content_array=urls[:2], external_id_array=["a", "d"])
    assert [a["externalId"] for a in kili.assets(project_id=project_id, fields=["externalId"])] == ["a", "b", "c", "d"]
    with pytest.raises(KiliError):  # every id exists already
        kili.append_many_to_dataset(project_id=project_id, content_array=urls[:1], external_id_array=["a"])
    assert kili.count_assets(project_id=project_id) == 4


async def test_local_image_files_go_through_signed_urls(kili_connect, seeder, tmp_path) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org)
    kili = kili_connect(key)
    project_id = kili.create_project(title="Uploads", input_type="IMAGE", json_interface=INTERFACE)["id"]
    folder = tmp_path
    files = []
    for i, (w, h) in enumerate([(4, 3), (10, 7)]):
        path = folder / f"image{i}.png"
        path.write_bytes(png_bytes(w, h, seed=i))
        files.append(path)
    kili.append_many_to_dataset(
        project_id=project_id, content_array=[str(p) for p in files], external_id_array=["img0", "img1"]
    )
    assets = kili.assets(
        project_id=project_id, fields=["externalId", "content", "resolution.width", "resolution.height"]
    )
    assert [a["externalId"] for a in assets] == ["img0", "img1"]
    for asset, path in zip(assets, files, strict=True):
        assert fetch(asset["content"]) == path.read_bytes()
    assert (assets[1]["resolution"]["width"], assets[1]["resolution"]["height"]) == (10, 7)


async def test_raw_text_in_a_text_project(kili_connect, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org)
    kili = kili_connect(key)
    project_id = kili.create_project(title="Texts", input_type="TEXT", json_interface=INTERFACE)["id"]
    kili.append_many_to_dataset(project_id=project_id, content_array=["Hello, labelgate."], external_id_array=["t1"])
    (asset,) = kili.assets(project_id=project_id, fields=["externalId", "content"])
    assert asset["externalId"] == "t1"
    text = fetch(asset["content"]) if asset["content"].startswith("http") else asset["content"].encode()
    assert text == b"Hello, labelgate."


async def test_update_properties_and_external_ids(kili_connect, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org)
    kili = kili_connect(key)
    project_id = kili.create_project(title="Updates", input_type="IMAGE", json_interface=INTERFACE)["id"]
    ids = kili.append_many_to_dataset(
        project_id=project_id,
        content_array=[f"https://example.com/{i}.jpg" for i in range(3)],
        external_id_array=["x0", "x1", "x2"],
    )["asset_ids"]
    kili.update_properties_in_assets(asset_ids=ids[:2], priorities=[5, 7], json_metadatas=[{"k": 1}, {"k": 2}])
    kili.update_properties_in_assets(external_ids=["x2"], project_id=project_id, priorities=[9])
    kili.change_asset_external_ids(new_external_ids=["renamed"], asset_ids=[ids[0]])
    kili.change_asset_external_ids(new_external_ids=["renamed2"], external_ids=["x1"], project_id=project_id)
    assets = kili.assets(project_id=project_id, fields=["id", "externalId", "priority", "jsonMetadata", "status"])
    assert [(a["externalId"], a["priority"], a["status"]) for a in assets] == [
        ("renamed", 5, "TODO"),
        ("renamed2", 7, "TODO"),
        ("x2", 9, "TODO"),
    ]
    assert [a["jsonMetadata"] for a in assets[:2]] == [{"k": 1}, {"k": 2}]


async def test_labels_review_queue_and_delete(kili_connect, seeder) -> None:
    org = await seeder.organization()
    user, key = await seeder.user(org)
    kili = kili_connect(key)
    project_id = kili.create_project(title="Workflow", input_type="IMAGE", json_interface=INTERFACE)["id"]
    ids = kili.append_many_to_dataset(
        project_id=project_id,
        content_array=[f"https://example.com/{i}.jpg" for i in range(4)],
        external_id_array=["w0", "w1", "w2", "w3"],
    )["asset_ids"]

    def statuses() -> list[str]:
        return [a["status"] for a in kili.assets(project_id=project_id, fields=["status"])]

    kili.append_labels(asset_id_array=ids[:2], json_response_array=[CAR, CAR], label_type="DEFAULT")
    kili.append_labels(
        asset_external_id_array=["w2"], json_response_array=[CAR], project_id=project_id, label_type="DEFAULT"
    )
    assert statuses() == ["LABELED", "LABELED", "LABELED", "TODO"]
    labels = kili.labels(project_id=project_id)
    assert len(labels) == 3 and all(label["author"]["id"] == user.id for label in labels)
    assert all(label["jsonResponse"] == CAR and label["labelType"] == "DEFAULT" for label in labels)

    outcome = kili.add_to_review(asset_ids=[ids[0], ids[1], ids[3]])
    assert {a["assetId"] for a in outcome["succeeded"]} == {ids[0], ids[1]}
    assert [a["assetId"] for a in outcome["declined"]] == [ids[3]]
    assert statuses() == ["TO_REVIEW", "TO_REVIEW", "LABELED", "TODO"]

    kili.append_labels(asset_id_array=[ids[0]], json_response_array=[CAR], label_type="REVIEW")
    assert statuses()[0] == "REVIEWED"
    outcome = kili.send_back_to_queue(asset_ids=[ids[0], ids[1]])
    assert {a["assetId"] for a in outcome["succeeded"]} == {ids[0], ids[1]}
    assert statuses() == ["ONGOING", "ONGOING", "LABELED", "TODO"]

    kili.append_to_labels(json_response=CAR, label_asset_id=ids[3])
    kili.append_to_labels(json_response=CAR, label_asset_external_id="w0", project_id=project_id)
    assert statuses() == ["LABELED", "ONGOING", "LABELED", "LABELED"]
    assert kili.count_labels(project_id=project_id) == 6

    outcome = kili.delete_many_from_dataset(asset_ids=[ids[1], ids[2]])
    assert {a["assetId"] for a in outcome["succeeded"]} == {ids[1], ids[2]}
    assert [a["id"] for a in kili.assets(project_id=project_id, fields=["id"])] == [ids[0], ids[3]]
    assert kili.count_labels(project_id=project_id) == 4  # 3 on w0, 1 on w3


async def test_a_tiff_file_goes_the_asynchronous_way(kili_connect, seeder, tmp_path) -> None:
    """TIFF files go through appendManyAssetsAsynchronously, then the SDK polls the notification until
    SUCCESS: labelgate answers with the assets already in."""
    org = await seeder.organization()
    _, key = await seeder.user(org)
    kili = kili_connect(key)
    project_id = kili.create_project(title="Satellite", input_type="IMAGE", json_interface=INTERFACE)["id"]
    path = tmp_path / "tile.tif"
    path.write_bytes(tiff_bytes())
    result = kili.append_many_to_dataset(project_id=project_id, content_array=[str(path)], external_id_array=["tif1"])
    assert result["asset_ids"] == []  # the SDK reports no ids for asynchronous imports
    assets = kili.assets(project_id=project_id, fields=["externalId", "content", "resolution.width"])
    assert [a["externalId"] for a in assets] == ["tif1"]
    assert fetch(assets[0]["content"]) == path.read_bytes()
    assert assets[0]["resolution"]["width"] == 2
