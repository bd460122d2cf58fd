"""appendManyAssetsAsynchronously (run synchronously, answering an already SUCCESS notification) and
the viewer's notifications."""

from __future__ import annotations

import pytest

from gateway.db.ids import new_id

APPEND_ASYNC = """mutation($data: AppendManyAssetsAsynchronouslyData!, $where: ProjectWhere!) {
  data: appendManyAssetsAsynchronously(data: $data, where: $where) {
    id status message hasBeenSeen userID createdAt } }"""
ASSETS = """query($id: ID!) {
  assets(where: {project: {id: $id}}, first: 100, skip: 0) { id externalId content jsonMetadata status } }"""
COUNT_ASSETS = "query($id: ID!) { countAssets(where: {project: {id: $id}}) }"
NOTIFICATIONS = """query($where: NotificationWhere!, $first: PageSize!, $skip: Int!) {
  notifications(where: $where, first: $first, skip: $skip) { id status hasBeenSeen userID createdAt }
  countNotifications(where: $where) }"""


async def _manager(seeder):
    org = await seeder.organization()
    user, key = await seeder.user(org)
    project = await seeder.project(org, members={user.id: "TEAM_MANAGER"})
    return org, user, project, key


async def _append(api, key: str, project_id: str, external_ids: list[str]) -> dict:
    data = {
        "contentArray": [f"https://example.com/{e}.tif" for e in external_ids],
        "externalIDArray": external_ids,
        "idArray": [new_id() for _ in external_ids],
        "jsonMetadataArray": ['{"band": 1}'] * len(external_ids),
        "uploadType": "TILED_IMAGE",
    }
    return (await api.data(APPEND_ASYNC, {"data": data, "where": {"id": project_id}}, key=key))["data"]


async def _notifications(api, key: str, where: dict, first: int = 100, skip: int = 0) -> tuple[list[dict], int]:
    body = await api.data(NOTIFICATIONS, {"where": where, "first": first, "skip": skip}, key=key)
    return body["notifications"], body["countNotifications"]


async def test_the_mutation_appends_the_assets_and_answers_success(api, seeder) -> None:
    _, user, project, key = await _manager(seeder)
    notification = await _append(api, key, project.id, ["big-1", "big-2"])
    assert notification["status"] == "SUCCESS"
    assert (notification["userID"], notification["hasBeenSeen"]) == (user.id, False)
    assert notification["message"] == "2 asset(s) imported."
    assets = (await api.data(ASSETS, {"id": project.id}, key=key))["assets"]
    assert [(a["externalId"], a["content"], a["status"]) for a in assets] == [
        ("big-1", "https://example.com/big-1.tif", "TODO"),
        ("big-2", "https://example.com/big-2.tif", "TODO"),
    ]
    assert assets[0]["jsonMetadata"] == '{"band": 1}'
    # What the Kili SDK polls: the notification by id, first 1.
    listed, count = await _notifications(api, key, {"id": notification["id"]}, first=1)
    assert listed == [{k: notification[k] for k in ("id", "status", "hasBeenSeen", "userID", "createdAt")}]
    assert count == 1


async def test_notifications_are_visible_to_their_owner_only(api, seeder) -> None:
    org, user, project, key = await _manager(seeder)
    other, other_key = await seeder.user(org, admin=True)  # even an organization admin sees only their own
    first = await _append(api, key, project.id, ["a"])
    second = await _append(api, key, project.id, ["b"])
    mine, count = await _notifications(api, key, {})
    assert [n["id"] for n in mine] == [first["id"], second["id"]] and count == 2
    assert await _notifications(api, key, {"userID": user.id}) == (mine, 2)
    assert await _notifications(api, key, {"hasBeenSeen": False}) == (mine, 2)
    assert await _notifications(api, key, {"hasBeenSeen": True}) == ([], 0)
    page, count = await _notifications(api, key, {}, first=1, skip=1)
    assert [n["id"] for n in page] == [second["id"]] and count == 2

    assert await _notifications(api, other_key, {}) == ([], 0)
    assert await _notifications(api, other_key, {"id": first["id"]}) == ([], 0)
    assert await _notifications(api, other_key, {"userID": user.id}) == ([], 0)
    assert await _notifications(api, key, {"userID": other.id}) == ([], 0)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"contentArray": ["https://example.com/x.tif"], "jsonMetadataArray": ["not json"]}, "BAD_USER_INPUT"),
        (
            {"contentArray": ["https://example.com/x.tif", "https://example.com/y.tif"], "externalIDArray": ["x"]},
            "BAD_USER_INPUT",
        ),
        ({"contentArray": ["https://example.com/x.tif"] * 2, "externalIDArray": ["x", "x"]}, "CONFLICT"),
        ({"multiLayerContentArray": "[]", "jsonContentArray": [""]}, "BAD_USER_INPUT"),
        ({"contentArray": ["https://example.com/x.tif"], "uploadType": "SOMETHING"}, "BAD_USER_INPUT"),
    ],
)
async def test_a_bad_call_writes_neither_assets_nor_a_notification(api, seeder, data: dict, code: str) -> None:
    _, _, project, key = await _manager(seeder)
    error = await api.error(APPEND_ASYNC, {"data": data, "where": {"id": project.id}}, key=key)
    assert error["extensions"]["code"] == code, error
    assert (await api.data(COUNT_ASSETS, {"id": project.id}, key=key))["countAssets"] == 0
    assert await _notifications(api, key, {}) == ([], 0)


async def test_a_labeler_may_not_import_and_gets_no_notification(api, seeder) -> None:
    org = await seeder.organization()
    labeler, key = await seeder.user(org)
    project = await seeder.project(org, members={labeler.id: "LABELER"})
    data = {"contentArray": ["https://example.com/x.tif"], "uploadType": "TILED_IMAGE"}
    error = await api.error(APPEND_ASYNC, {"data": data, "where": {"id": project.id}}, key=key)
    assert error["extensions"]["code"] == "FORBIDDEN", error
    assert (await api.data(COUNT_ASSETS, {"id": project.id}, key=key))["countAssets"] == 0
    assert await _notifications(api, key, {}) == ([], 0)
