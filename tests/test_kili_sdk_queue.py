"""Queue management through the published Kili SDK (26.2.4, checks on): assign, prioritize, skip and
unskip, consensus, metadata. The state after each call is read back through GraphQL.

The `kili.assets.*` namespace (`assign`, `set_priority`, `skip`, `unskip`, `update_consensus`) wraps
these same legacy methods and sends the same documents, so driving the legacy methods covers it."""

from __future__ import annotations

import json

import pytest

from tests.live import KiliError

STATE = """query($where: AssetWhere!) { assets(where: $where, first: 100, skip: 0) {
  id externalId status priority skipped skipReason isUsedForConsensus jsonMetadata toBeLabeledBy { id } } }"""


class QueueProject:
    """A project with a TEAM_MANAGER (who drives the SDK), a LABELER and a REVIEWER, and 3 assets."""

    async def build(self, seeder) -> QueueProject:
        self.org = await seeder.organization()
        self.manager, self.key = await seeder.user(self.org)
        self.labeler, self.labeler_key = await seeder.user(self.org)
        self.reviewer, _ = await seeder.user(self.org)
        members = {self.manager.id: "TEAM_MANAGER", self.labeler.id: "LABELER", self.reviewer.id: "REVIEWER"}
        self.project = await seeder.project(self.org, members=members)
        self.assets = await seeder.assets(self.project, 3)
        self.ids = [a.id for a in self.assets]
        return self

    async def state(self, api) -> dict[str, dict]:
        rows = (await api.data(STATE, {"where": {"project": {"id": self.project.id}}}, key=self.key))["assets"]
        return {r["id"]: r for r in rows}


def _assignees(state: dict[str, dict]) -> dict[str, set[str]]:
    return {i: {u["id"] for u in r["toBeLabeledBy"]} for i, r in state.items()}


def _ids(refs: list[dict]) -> list[str]:
    return [r["assetId"] for r in refs]


async def test_assign_assets_to_labelers(kili_connect, seeder, api) -> None:
    q = await QueueProject().build(seeder)
    kili = kili_connect(q.key)
    a, b, c = q.ids
    outcome = kili.assign_assets_to_labelers(
        asset_ids=[a, b, c], to_be_labeled_by_array=[[q.labeler.id], [q.labeler.id, q.reviewer.id], [q.labeler.id]]
    )
    # One call per distinct list of assignees, merged by the SDK.
    assert sorted(_ids(outcome["succeeded"])) == sorted([a, b, c]) and outcome["declined"] == outcome["failed"] == []
    assert _assignees(await q.state(api)) == {a: {q.labeler.id}, b: {q.labeler.id, q.reviewer.id}, c: {q.labeler.id}}

    # By external ids; [] unassigns.
    external_ids = [x.external_id for x in q.assets[:2]]
    kili.assign_assets_to_labelers(external_ids=external_ids, project_id=q.project.id, to_be_labeled_by_array=[[], []])
    assert _assignees(await q.state(api)) == {a: set(), b: set(), c: {q.labeler.id}}

    # A labeler with a label in progress stays assigned: the SDK reports the asset as declined.
    await seeder.label(q.assets[2], q.labeler, label_type="AUTOSAVE")
    outcome = kili.assign_assets_to_labelers(asset_ids=[c], to_be_labeled_by_array=[[q.reviewer.id]])
    assert _ids(outcome["declined"]) == [c] and outcome["succeeded"] == []
    assert _assignees(await q.state(api))[c] == {q.labeler.id}

    # A user who is not a member: the SDK raises, nothing is written.
    outsider, _ = await seeder.user(q.org)
    with pytest.raises(KiliError) as raised:
        kili.assign_assets_to_labelers(asset_ids=[a], to_be_labeled_by_array=[[q.reviewer.id, outsider.id]])
    assert outsider.id in raised.value.message
    assert _assignees(await q.state(api))[a] == set()


async def test_set_assets_priority(kili_connect, seeder, api) -> None:
    q = await QueueProject().build(seeder)
    kili = kili_connect(q.key)
    a, b, _ = q.ids
    labeled = await seeder.asset(q.project, status="LABELED")  # done: not waiting for work
    outcome = kili.set_assets_priority(priority=7, asset_ids=[a, b, labeled.id])
    assert sorted(_ids(outcome["succeeded"])) == sorted([a, b]) and _ids(outcome["declined"]) == [labeled.id]
    state = await q.state(api)
    assert [state[i]["priority"] for i in (a, b, labeled.id)] == [7, 7, 0]

    outcome = kili.set_assets_priority(priority=2, external_ids=[q.assets[0].external_id], project_id=q.project.id)
    assert _ids(outcome["succeeded"]) == [a]
    assert (await q.state(api))[a]["priority"] == 2


async def test_skip_and_unskip(kili_connect, seeder, api) -> None:
    q = await QueueProject().build(seeder)
    labeler = kili_connect(q.labeler_key)  # a labeler skips what they cannot label
    a = q.ids[0]
    assert labeler.skip_or_unskip(action="skip", asset_id=a, project_id=q.project.id, reason="blurry") == a
    state = (await q.state(api))[a]
    assert (state["skipped"], state["skipReason"]) == (True, "blurry")
    # The SDK's own reads see it, including the new field and the skipped filter.
    listed = labeler.assets(project_id=q.project.id, skipped=True, fields=["id", "skipped", "skipReason"])
    assert listed == [{"id": a, "skipped": True, "skipReason": "blurry"}]

    assert labeler.skip_or_unskip(action="unskip", asset_id=a, project_id=q.project.id) == a
    state = (await q.state(api))[a]
    assert (state["skipped"], state["skipReason"]) == (False, None)
    assert labeler.count_assets(project_id=q.project.id, skipped=True) == 0

    consensus = await seeder.asset(q.project, is_used_for_consensus=True)
    with pytest.raises(KiliError) as raised:
        labeler.skip_or_unskip(action="skip", asset_id=consensus.id, project_id=q.project.id, reason="hard")
    assert "consensus" in raised.value.message
    assert (await q.state(api))[consensus.id]["skipped"] is False


async def test_update_asset_consensus_is_refused_on_v1_projects(kili_connect, seeder, api) -> None:
    q = await QueueProject().build(seeder)
    kili = kili_connect(q.key)
    a = q.ids[0]
    for by in ({"asset_id": a}, {"external_id": q.assets[0].external_id}):
        with pytest.raises(KiliError) as raised:
            kili.update_asset_consensus(project_id=q.project.id, is_consensus=True, **by)
        assert "updatePropertiesInAssets" in raised.value.message and "V1" in raised.value.message
    assert (await q.state(api))[a]["isUsedForConsensus"] is False
    # What the SDK's docstring points to works.
    kili.update_properties_in_assets(asset_ids=[a], is_used_for_consensus_array=[True])
    assert (await q.state(api))[a]["isUsedForConsensus"] is True


async def test_add_and_set_metadata(kili_connect, seeder, api) -> None:
    q = await QueueProject().build(seeder)
    kili = kili_connect(q.key)
    a, b, _ = q.ids
    kili.update_properties_in_assets(
        asset_ids=[a, b], json_metadatas=[{"camera": "front", "text": "keep me"}, {"camera": "rear"}]
    )
    # add_metadata merges into what is there (it pairs the dicts with the assets in listing order).
    kili.add_metadata(json_metadata=[{"speed": 10}, {"speed": 20}], project_id=q.project.id, asset_ids=[a, b])
    state = await q.state(api)
    assert json.loads(state[a]["jsonMetadata"]) == {"camera": "front", "text": "keep me", "speed": 10}
    assert json.loads(state[b]["jsonMetadata"]) == {"camera": "rear", "speed": 20}

    # set_metadata replaces, keeping only Kili's special keys (text, imageUrl, url, processingParameters).
    kili.set_metadata(
        json_metadata=[{"weather": "rain"}, {"weather": "sun"}],
        project_id=q.project.id,
        external_ids=[x.external_id for x in q.assets[:2]],
    )
    state = await q.state(api)
    assert json.loads(state[a]["jsonMetadata"]) == {"text": "keep me", "weather": "rain"}
    assert json.loads(state[b]["jsonMetadata"]) == {"weather": "sun"}
