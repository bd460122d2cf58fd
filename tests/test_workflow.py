"""addAssetsToReview, sendAssetsBackToQueue, deleteAssets: the state machine, outcomes, roles, storage."""

from __future__ import annotations

import io
import logging

import pytest
from minio import Minio
from sqlalchemy import delete, func, select

from gateway.db import models
from gateway.storage import asset_content_key
from tests.factories import new_id

STATUSES = ["TODO", "ONGOING", "LABELED", "TO_REVIEW", "REVIEWED"]
OUTCOME = "{ succeeded { assetId externalId } declined { assetId externalId } failed { assetId externalId details } }"
MUTATIONS = {
    name: f"mutation($where: AssetWhere!) {{ data: {name}(where: $where) {OUTCOME} }}"
    for name in ("addAssetsToReview", "sendAssetsBackToQueue", "deleteAssets")
}
STATUS_OF = "query($where: AssetWhere!) { assets(where: $where, first: 100, skip: 0) { id status updatedAt } }"

# The state machine: status before → status after, or None when the asset is declined.
TRANSITIONS = {
    "addAssetsToReview": {
        "TODO": None,
        "ONGOING": None,
        "LABELED": "TO_REVIEW",
        "TO_REVIEW": None,
        "REVIEWED": "TO_REVIEW",
    },
    "sendAssetsBackToQueue": {
        "TODO": None,
        "ONGOING": None,
        "LABELED": "ONGOING",
        "TO_REVIEW": "ONGOING",
        "REVIEWED": "ONGOING",
    },
}


class Team:
    """An organization with one project and a member of each role, plus an outsider (member of
    another project of the same organization)."""

    async def build(self, seeder) -> Team:
        self.org = await seeder.organization()
        users = {}
        for role in ("LABELER", "REVIEWER", "TEAM_MANAGER", "ADMIN", "OUTSIDER"):
            users[role] = await seeder.user(self.org)
        self.user = {role: user for role, (user, _) in users.items()}
        self.key = {role: key for role, (_, key) in users.items()}
        members = {self.user[r].id: r for r in ("LABELER", "REVIEWER", "TEAM_MANAGER", "ADMIN")}
        self.project = await seeder.project(self.org, members=members)
        self.other_project = await seeder.project(self.org, members={self.user["OUTSIDER"].id: "ADMIN"})
        return self


async def _statuses(api, key: str, ids: list[str]) -> dict[str, str]:
    rows = (await api.data(STATUS_OF, {"where": {"idIn": ids}}, key=key))["assets"]
    return {r["id"]: r["status"] for r in rows}


def _ids(refs: list[dict]) -> set[str]:
    return {r["assetId"] for r in refs}


@pytest.mark.parametrize("mutation", list(TRANSITIONS))
async def test_every_transition_of_the_state_machine(api, seeder, mutation) -> None:
    team = await Team().build(seeder)
    assets = {status: await seeder.asset(team.project, status=status) for status in STATUSES}
    ids = [a.id for a in assets.values()]
    before = {
        r["id"]: r["updatedAt"]
        for r in (await api.data(STATUS_OF, {"where": {"idIn": ids}}, key=team.key["ADMIN"]))["assets"]
    }

    outcome = (await api.data(MUTATIONS[mutation], {"where": {"idIn": ids}}, key=team.key["REVIEWER"]))["data"]

    expected = TRANSITIONS[mutation]
    moved = {assets[s].id for s, after in expected.items() if after is not None}
    assert _ids(outcome["succeeded"]) == moved
    assert _ids(outcome["declined"]) == set(ids) - moved
    assert outcome["failed"] == []
    by_id = {r["assetId"]: r["externalId"] for r in outcome["succeeded"] + outcome["declined"]}
    assert by_id == {a.id: a.external_id for a in assets.values()}
    rows = (await api.data(STATUS_OF, {"where": {"idIn": ids}}, key=team.key["ADMIN"]))["assets"]
    for row in rows:
        status = next(s for s, a in assets.items() if a.id == row["id"])
        assert row["status"] == (expected[status] or status), (mutation, status)
        # Declined assets are left exactly as they were.
        assert (row["updatedAt"] == before[row["id"]]) == (expected[status] is None), (mutation, status)


def _ref(asset_id: str, external_id: str | None) -> dict:
    return {"assetId": asset_id, "externalId": external_id}


async def _exists_by_id(app, asset_id: str) -> bool:
    return await _count(app, models.Asset, models.Asset.id == asset_id) == 1


@pytest.mark.parametrize("mutation", list(TRANSITIONS))
async def test_named_assets_not_acted_on_are_declined(api, seeder, app, mutation) -> None:
    team = await Team().build(seeder)
    labeled, todo = await seeder.asset(team.project, status="LABELED"), await seeder.asset(team.project, status="TODO")
    hidden = await seeder.asset(team.other_project, status="LABELED")  # the reviewer may not see it
    unknown = new_id()
    # Duplicates are answered once; what was acted on comes first, then the rest in the order given.
    where = {"idIn": [unknown, labeled.id, todo.id, hidden.id, unknown], "statusIn": ["LABELED"]}
    outcome = (await api.data(MUTATIONS[mutation], {"where": where}, key=team.key["REVIEWER"]))["data"]
    assert outcome == {
        "succeeded": [_ref(labeled.id, labeled.external_id)],
        # The invisible asset is told apart from nothing: neither carries an external id.
        "declined": [_ref(unknown, None), _ref(todo.id, todo.external_id), _ref(hidden.id, None)],
        "failed": [],
    }
    assert await _statuses(api, team.key["ADMIN"], [todo.id]) == {todo.id: "TODO"}
    assert await _statuses(api, team.key["OUTSIDER"], [hidden.id]) == {hidden.id: "LABELED"}

    # By strict external id (what a UI may send; the SDK resolves external ids to ids first): an
    # external id only ever selects among the assets the viewer may see, in `where.project`.
    where = {
        "project": {"id": team.project.id},
        "externalIdStrictlyIn": [todo.external_id, "nope", hidden.external_id, labeled.external_id],
        "statusIn": ["TODO"],
    }
    outcome = (await api.data(MUTATIONS[mutation], {"where": where}, key=team.key["REVIEWER"]))["data"]
    assert outcome == {
        "succeeded": [],
        "declined": [
            _ref(todo.id, todo.external_id),  # matched, but its status does not allow the change
            _ref("", "nope"),
            _ref("", hidden.external_id),
            _ref(labeled.id, labeled.external_id),  # excluded by statusIn
        ],
        "failed": [],
    }
    # `where.id` alone, naming nothing.
    outcome = (await api.data(MUTATIONS[mutation], {"where": {"id": unknown}}, key=team.key["REVIEWER"]))["data"]
    assert outcome == {"succeeded": [], "declined": [_ref(unknown, None)], "failed": []}
    assert not await _exists_by_id(app, unknown)


async def test_delete_reports_what_is_gone_as_succeeded_and_what_remains_as_declined(api, seeder, app) -> None:
    team = await Team().build(seeder)
    doomed, todo = await seeder.asset(team.project, status="LABELED"), await seeder.asset(team.project, status="TODO")
    hidden = await seeder.asset(team.other_project, status="LABELED")  # the team manager may not see it
    unknown = new_id()
    where = {"idIn": [todo.id, unknown, doomed.id, hidden.id], "statusIn": ["LABELED"]}
    outcome = (await api.data(MUTATIONS["deleteAssets"], {"where": where}, key=team.key["TEAM_MANAGER"]))["data"]
    assert outcome == {
        # An id no asset has is in the state asked for: gone.
        "succeeded": [_ref(doomed.id, doomed.external_id), _ref(unknown, None)],
        # Still there: excluded by statusIn, or in a project the viewer may not see (not deleted, so
        # never "succeeded"; and its external id is not given away).
        "declined": [_ref(todo.id, todo.external_id), _ref(hidden.id, None)],
        "failed": [],
    }
    assert not await _exists_by_id(app, doomed.id)
    assert await _exists_by_id(app, todo.id) and await _exists_by_id(app, hidden.id)

    # Deleting again (a retry, or a concurrent call that lost the race): already gone, so succeeded.
    outcome = (await api.data(MUTATIONS["deleteAssets"], {"where": {"id": doomed.id}}, key=team.key["ADMIN"]))["data"]
    assert outcome == {"succeeded": [_ref(doomed.id, None)], "declined": [], "failed": []}
    # Gone whoever asks: no role is needed to learn that nothing was there to delete.
    outcome = await api.data(MUTATIONS["deleteAssets"], {"where": {"id": doomed.id}}, key=team.key["LABELER"])
    assert outcome["data"] == {"succeeded": [_ref(doomed.id, None)], "declined": [], "failed": []}

    # By strict external id: one no asset the viewer may see has (even if an invisible project has it)
    # succeeds with an empty asset id; one a visible asset excluded by `where` has is declined.
    where = {
        "project": {"id": team.project.id},
        "externalIdStrictlyIn": ["nope", todo.external_id, hidden.external_id],
        "statusIn": ["LABELED"],
    }
    outcome = (await api.data(MUTATIONS["deleteAssets"], {"where": where}, key=team.key["TEAM_MANAGER"]))["data"]
    assert outcome == {
        "succeeded": [_ref("", "nope"), _ref("", hidden.external_id)],
        "declined": [_ref(todo.id, todo.external_id)],
        "failed": [],
    }
    assert await _exists_by_id(app, todo.id) and await _exists_by_id(app, hidden.id)


async def test_role_matrix(api, seeder, settings) -> None:
    team = await Team().build(seeder)
    assets = await seeder.assets(team.project, 2, status="LABELED")
    ids = [a.id for a in assets]
    where = {"where": {"idIn": ids}}
    for mutation, role in [
        ("addAssetsToReview", "LABELER"),
        ("sendAssetsBackToQueue", "LABELER"),
        ("deleteAssets", "LABELER"),
        ("deleteAssets", "REVIEWER"),
    ]:
        error = await api.error(MUTATIONS[mutation], where, key=team.key[role])
        assert error["extensions"]["code"] == "FORBIDDEN", (mutation, role, error)
        assert team.project.id in error["message"] and role in error["message"]
        assert await _statuses(api, team.key["ADMIN"], ids) == {i: "LABELED" for i in ids}, (mutation, role)

    # A member of another project sees none of these assets: nothing matches, nothing is written,
    # and every one is declined without its external id (a delete does not claim them gone).
    for mutation in MUTATIONS:
        outcome = (await api.data(MUTATIONS[mutation], where, key=team.key["OUTSIDER"]))["data"]
        assert outcome == {"succeeded": [], "declined": [_ref(i, None) for i in ids], "failed": []}, mutation
    assert await _statuses(api, team.key["ADMIN"], ids) == {i: "LABELED" for i in ids}

    outcome = (await api.data(MUTATIONS["addAssetsToReview"], where, key=team.key["REVIEWER"]))["data"]
    assert _ids(outcome["succeeded"]) == set(ids)
    outcome = (await api.data(MUTATIONS["sendAssetsBackToQueue"], where, key=team.key["TEAM_MANAGER"]))["data"]
    assert _ids(outcome["succeeded"]) == set(ids)
    outcome = await api.data(MUTATIONS["deleteAssets"], {"where": {"id": ids[0]}}, key=team.key["TEAM_MANAGER"])
    assert _ids(outcome["data"]["succeeded"]) == {ids[0]}
    outcome = await api.data(MUTATIONS["deleteAssets"], {"where": {"id": ids[1]}}, key=team.key["ADMIN"])
    assert _ids(outcome["data"]["succeeded"]) == {ids[1]}
    assert await _statuses(api, team.key["ADMIN"], ids) == {}


async def test_one_forbidden_project_fails_the_whole_call(api, seeder) -> None:
    org = await seeder.organization()
    user, key = await seeder.user(org)
    admin, admin_key = await seeder.user(org, admin=True)
    reviewed_here = await seeder.project(org, members={user.id: "REVIEWER"})
    labeler_there = await seeder.project(org, members={user.id: "LABELER"})
    a = await seeder.asset(reviewed_here, status="LABELED")
    b = await seeder.asset(labeler_there, status="LABELED")
    error = await api.error(MUTATIONS["addAssetsToReview"], {"where": {"idIn": [a.id, b.id]}}, key=key)
    assert error["extensions"]["code"] == "FORBIDDEN" and labeler_there.id in error["message"]
    assert await _statuses(api, admin_key, [a.id, b.id]) == {a.id: "LABELED", b.id: "LABELED"}
    # Organization admins act on every project of their organization.
    outcome = await api.data(MUTATIONS["addAssetsToReview"], {"where": {"idIn": [a.id, b.id]}}, key=admin_key)
    assert _ids(outcome["data"]["succeeded"]) == {a.id, b.id}


async def test_a_where_without_conditions_is_refused(api, seeder) -> None:
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project, status="LABELED")
    for where in [{}, {"label": {}, "issue": {}}, {"project": {}}]:
        for mutation in MUTATIONS:
            error = await api.error(MUTATIONS[mutation], {"where": where}, key=team.key["ADMIN"])
            assert error["extensions"]["code"] == "BAD_USER_INPUT", (where, mutation)
    assert await _statuses(api, team.key["ADMIN"], [asset.id]) == {asset.id: "LABELED"}
    # A project is a condition.
    outcome = await api.data(
        MUTATIONS["addAssetsToReview"], {"where": {"project": {"id": team.project.id}}}, key=team.key["ADMIN"]
    )
    assert _ids(outcome["data"]["succeeded"]) == {asset.id}


async def test_assets_of_an_archived_project_are_locked(api, seeder, settings, app) -> None:
    team = await Team().build(seeder)
    members = {team.user["ADMIN"].id: "ADMIN"}
    archived = await seeder.project(team.org, archived=True, members=members)
    asset = await _stored_asset(seeder, settings, archived)
    await seeder.label(asset, team.user["ADMIN"])
    await seeder.add(models.Asset(project_id=archived.id, external_id="x", status="LABELED"))
    for mutation in MUTATIONS:
        where = {"where": {"project": {"id": archived.id}}}
        error = await api.error(MUTATIONS[mutation], where, key=team.key["ADMIN"])
        assert error["extensions"]["code"] == "LOCKED" and archived.id in error["message"], (mutation, error)
    assert await _count(app, models.Asset, models.Asset.project_id == archived.id) == 2
    assert await _count(app, models.Label, models.Label.asset_id == asset.id) == 1
    assert (
        await _count(app, models.Asset, models.Asset.status == "LABELED", models.Asset.project_id == archived.id) == 1
    )
    assert _exists(settings, asset.storage_key)


# --- deleting ------------------------------------------------------------------------------------


def _minio(settings) -> Minio:
    return Minio(
        settings.s3_endpoint, access_key=settings.s3_access_key, secret_key=settings.s3_secret_key, secure=False
    )


def _put(settings, key: str, data: bytes = b"pixels") -> None:
    _minio(settings).put_object(settings.s3_bucket, key, io.BytesIO(data), len(data))


def _exists(settings, key: str) -> bool:
    names = [o.object_name for o in _minio(settings).list_objects(settings.s3_bucket, prefix=key)]
    return key in names


async def _count(app, model, *conditions) -> int:
    async with app.state.services.session_factory() as db:
        return (await db.execute(select(func.count()).select_from(model).where(*conditions))).scalar_one()


async def _stored_asset(seeder, settings, project) -> models.Asset:
    asset_id = new_id()
    key = asset_content_key(project.id, asset_id)
    _put(settings, key)
    return await seeder.asset(project, id=asset_id, content="", storage_key=key)


async def test_delete_removes_labels_sets_assignees_and_then_the_stored_object(
    api, seeder, settings, app, monkeypatch
) -> None:
    team = await Team().build(seeder)
    doomed = await _stored_asset(seeder, settings, team.project)
    kept = await _stored_asset(seeder, settings, team.project)
    for asset in (doomed, kept):
        await seeder.label(asset, team.user["LABELER"])
        await seeder.assign(asset, team.user["LABELER"])
    asset_set = await seeder.asset_set(team.project, [doomed, kept])

    storage = app.state.services.storage
    real_remove = storage.remove
    seen_at_removal: list[tuple[str, int]] = []

    async def remove_after_checking_commit(key: str) -> None:
        # Another connection already sees the asset gone: the delete has committed.
        seen_at_removal.append((key, await _count(app, models.Asset, models.Asset.id == doomed.id)))
        await real_remove(key)

    monkeypatch.setattr(storage, "remove", remove_after_checking_commit)
    outcome = await api.data(MUTATIONS["deleteAssets"], {"where": {"id": doomed.id}}, key=team.key["TEAM_MANAGER"])
    assert outcome["data"] == {
        "succeeded": [{"assetId": doomed.id, "externalId": doomed.external_id}],
        "declined": [],
        "failed": [],
    }
    assert seen_at_removal == [(doomed.storage_key, 0)]
    assert not _exists(settings, doomed.storage_key)
    assert _exists(settings, kept.storage_key)
    for model, column in [
        (models.Asset, models.Asset.id),
        (models.Label, models.Label.asset_id),
        (models.SetAsset, models.SetAsset.asset_id),
        (models.AssetAssignee, models.AssetAssignee.asset_id),
    ]:
        assert await _count(app, model, column == doomed.id) == 0, model
        assert await _count(app, model, column == kept.id) == 1, model
    assert await _count(app, models.AssetSet, models.AssetSet.id == asset_set.id) == 1


async def test_a_refused_delete_keeps_rows_and_objects(api, seeder, settings, app) -> None:
    team = await Team().build(seeder)
    asset = await _stored_asset(seeder, settings, team.project)
    await seeder.label(asset, team.user["LABELER"])
    error = await api.error(MUTATIONS["deleteAssets"], {"where": {"id": asset.id}}, key=team.key["REVIEWER"])
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert await _count(app, models.Asset, models.Asset.id == asset.id) == 1
    assert await _count(app, models.Label, models.Label.asset_id == asset.id) == 1
    assert _exists(settings, asset.storage_key)


async def test_a_storage_failure_never_undoes_the_delete_and_stays_queued(
    api, seeder, settings, app, monkeypatch, caplog
) -> None:
    team = await Team().build(seeder)
    assets = [await _stored_asset(seeder, settings, team.project) for _ in range(2)]
    storage = app.state.services.storage
    real_remove = storage.remove

    async def flaky_remove(key: str) -> None:
        if key == assets[0].storage_key:
            raise OSError("storage is down")
        await real_remove(key)

    monkeypatch.setattr(storage, "remove", flaky_remove)
    with caplog.at_level(logging.WARNING, logger="labelgate.storage"):
        outcome = await api.data(
            MUTATIONS["deleteAssets"], {"where": {"idIn": [a.id for a in assets]}}, key=team.key["ADMIN"]
        )
    assert _ids(outcome["data"]["succeeded"]) == {a.id for a in assets}
    assert await _count(app, models.Asset, models.Asset.id.in_([a.id for a in assets])) == 0
    assert any(assets[0].storage_key in r.getMessage() and r.exc_info for r in caplog.records)
    # The failure of one object does not keep the others; the failed one waits in the outbox.
    assert _exists(settings, assets[0].storage_key) and not _exists(settings, assets[1].storage_key)
    outbox = models.StorageOutbox
    assert await _count(app, outbox, outbox.key == assets[0].storage_key, outbox.attempts == 1) == 1
    assert await _count(app, outbox, outbox.key == assets[1].storage_key) == 0
    async with app.state.services.session_factory() as db:
        await db.execute(delete(outbox).where(outbox.key == assets[0].storage_key))  # not left to other tests
        await db.commit()


async def test_an_object_another_asset_still_uses_is_kept(api, seeder, settings, app) -> None:
    team = await Team().build(seeder)
    first = await _stored_asset(seeder, settings, team.project)
    second = await seeder.asset(team.project, content="", storage_key=first.storage_key)
    await api.data(MUTATIONS["deleteAssets"], {"where": {"id": first.id}}, key=team.key["ADMIN"])
    assert _exists(settings, first.storage_key)
    await api.data(MUTATIONS["deleteAssets"], {"where": {"id": second.id}}, key=team.key["ADMIN"])
    assert not _exists(settings, first.storage_key)


# --- statement counts ----------------------------------------------------------------------------

# 1 authentication, 1 lock (SELECT ... FOR UPDATE), 1 roles, 1 archive check (projects FOR SHARE),
# 1 UPDATE or DELETE.
EXPECTED_STATEMENTS = {"addAssetsToReview": 5, "sendAssetsBackToQueue": 5, "deleteAssets": 5}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
async def test_statement_count_does_not_grow_with_the_assets(api, seeder, sql_counter, mutation) -> None:
    counts = {}
    for size in (1, 100):
        team = await Team().build(seeder)
        assets = await seeder.assets(team.project, size, status="LABELED")
        variables = {"where": {"idIn": [a.id for a in assets]}}
        sql_counter.statements.clear()
        with sql_counter:
            outcome = (await api.data(MUTATIONS[mutation], variables, key=team.key["ADMIN"]))["data"]
        assert len(outcome["succeeded"]) == size
        counts[size] = sql_counter.count
    print(f"\nSQL statements for {mutation} of 1 and 100 assets: {counts}")
    assert counts[1] == counts[100] == EXPECTED_STATEMENTS[mutation], (counts, sql_counter.statements)
