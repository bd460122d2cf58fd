"""Concurrent workflow and label mutations on the same assets, against the real database.

The in-process app serves `asyncio.gather`-ed requests concurrently, each on its own connection.
To make sure they really contend, a "gate" transaction first locks the assets; the requests are
sent, the test waits until every one of them is blocked on a row lock in PostgreSQL, then the
gate lets go and they race for the rows.

What must hold, whatever order they end up committing in:
- no request fails with INTERNAL (a deadlock or a constraint violation would) and nothing is
  logged about a deadlock;
- every response tells the truth: there is an order of the calls (a serial history) in which
  replaying the V1 state machine from the initial statuses gives exactly each call's answer for
  each asset (succeeded / declined, label appended) and exactly the final statuses. Label calls
  must appear in that history in the order of their labels' created_at (they are stamped under
  the row locks). When every call touches every asset, a single order must explain all assets at
  once (the calls are serialized as wholes); with overlapping subsets, one order per asset;
- no label is lost: each asset holds one label per label call that named it, and its latestLabel
  is the one of the last such call.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from gateway.db import models
from tests.gates import run_gated
from tests.test_workflow import OUTCOME, STATUSES, TRANSITIONS, Team

ROUNDS = 3
ASSETS = """query($where: AssetWhere!) { assets(where: $where, first: 100, skip: 0) {
  id status latestLabel { id } labels { id createdAt } } }"""
WORKFLOW = {
    kind: f"mutation($where: AssetWhere!) {{ data: {kind}(where: $where) {OUTCOME} }}"
    for kind in ("addAssetsToReview", "sendAssetsBackToQueue", "deleteAssets")
}
APPEND = """mutation($data: AppendManyLabelsData!, $where: AssetWhere!) {
  data: appendManyLabels(data: $data, where: $where) { id assetId createdAt } }"""
LABEL_STATUS = {"DEFAULT": "LABELED", "REVIEW": "REVIEWED"}


@dataclass
class Call:
    """One request of a round and what it answered."""

    kind: str  # addAssetsToReview, sendAssetsBackToQueue, deleteAssets, DEFAULT or REVIEW (appendManyLabels)
    asset_ids: list[str]
    key: str
    body: dict = field(default_factory=dict)
    written_at: datetime | None = None  # label calls: their labels' created_at, to the microsecond

    def request(self) -> tuple[str, dict]:
        if self.kind in WORKFLOW:
            return WORKFLOW[self.kind], {"where": {"idIn": self.asset_ids}}
        labels = [{"assetID": a, "jsonResponse": json.dumps({"by": self.kind})} for a in self.asset_ids]
        return APPEND, {"data": {"labelType": self.kind, "labelsData": labels}, "where": {"idIn": self.asset_ids}}

    @property
    def is_label(self) -> bool:
        return self.kind in LABEL_STATUS

    def answer_for(self, asset_id: str) -> str:
        """What this call says it did to the asset: succeeded, declined or labeled."""
        data = self.body["data"]["data"]
        if self.is_label:
            assert [label["assetId"] for label in data] == self.asset_ids
            return "labeled"
        if asset_id in {r["assetId"] for r in data["succeeded"]}:
            return "succeeded"
        assert asset_id in {r["assetId"] for r in data["declined"]}, (self.kind, asset_id, data)
        return "declined"

    def stamp(self) -> datetime:
        """When a label call wrote (its labels' created_at, taken under the row locks)."""
        assert self.written_at is not None
        return self.written_at


def replay(call: Call, asset_id: str, status: str) -> str | None:
    """The status after `call` if its answer for the asset is what the state machine gives from
    `status`; None if that answer is impossible from `status`."""
    answer = call.answer_for(asset_id)
    if call.is_label:
        return LABEL_STATUS[call.kind]
    after = TRANSITIONS[call.kind][status]
    if after is None:
        return status if answer == "declined" else None
    return after if answer == "succeeded" else None


def serial_history(calls: list[Call], initial: dict[str, str], final: dict[str, str]) -> list[Call] | None:
    """An order of `calls` that explains every answer and the final statuses (label calls in
    created_at order), found by depth-first search over (calls done, statuses); None if there is none."""
    label_order = sorted((c for c in calls if c.is_label), key=Call.stamp)
    dead_ends: set[tuple[frozenset[int], tuple[tuple[str, str], ...]]] = set()

    def search(done: list[int], state: dict[str, str]) -> list[int] | None:
        if len(done) == len(calls):
            return done if state == final else None
        seen = (frozenset(done), tuple(sorted(state.items())))
        if seen in dead_ends:
            return None
        next_label = next((c for c in label_order if calls.index(c) not in done), None)
        for index, call in enumerate(calls):
            if index in done or (call.is_label and call is not next_label):
                continue
            new_state = dict(state)
            for asset_id in call.asset_ids:
                if asset_id in new_state:
                    after = replay(call, asset_id, new_state[asset_id])
                    if after is None:
                        break
                    new_state[asset_id] = after
            else:
                found = search([*done, index], new_state)
                if found is not None:
                    return found
        dead_ends.add(seen)
        return None

    order = search([], dict(initial))
    return None if order is None else [calls[i] for i in order]


async def _stamp_label_calls(app, calls: list[Call]) -> dict[str, datetime]:
    """Reads the exact created_at of every label the calls made (the API shows milliseconds only)."""
    made = {
        label["id"]: call
        for call in calls
        if call.is_label and call.body.get("data")
        for label in call.body["data"]["data"]
    }
    async with app.state.services.session_factory() as db:
        rows = (
            await db.execute(select(models.Label.id, models.Label.created_at).where(models.Label.id.in_(list(made))))
        ).all()
    created = dict(rows)
    for label_id, call in made.items():
        call.written_at = min(created[label_id], call.written_at or created[label_id])
    return created


def _assert_no_internal_errors(calls: list[Call], caplog) -> None:
    for call in calls:
        for error in call.body.get("errors") or []:
            assert error["extensions"]["code"] != "INTERNAL", (call.kind, error)
    assert not [r for r in caplog.records if "deadlock" in r.getMessage().lower() or r.exc_info], [
        r.getMessage() for r in caplog.records
    ]


async def _state(api, key: str, ids: list[str]) -> dict[str, dict]:
    return {r["id"]: r for r in (await api.data(ASSETS, {"where": {"idIn": ids}}, key=key))["assets"]}


def _assert_labels_follow(calls: list[Call], rows: dict[str, dict], created: dict[str, datetime]) -> None:
    for asset_id, row in rows.items():
        made = sorted(
            (label for c in calls if c.is_label for label in c.body["data"]["data"] if label["assetId"] == asset_id),
            key=lambda label: created[label["id"]],
        )
        assert {label["id"] for label in row["labels"]} == {label["id"] for label in made}, asset_id
        assert row["latestLabel"] == ({"id": made[-1]["id"]} if made else None), asset_id


async def test_review_queue_and_labels_on_the_same_assets_serialize(api, seeder, app, caplog) -> None:
    caplog.set_level(logging.ERROR)
    team = await Team().build(seeder)
    reviewer, labeler = team.key["REVIEWER"], team.key["LABELER"]
    for round_ in range(ROUNDS):
        assets = await seeder.assets(team.project, 20, status="LABELED")
        ids = [a.id for a in assets]
        shuffled = random.Random(round_).sample(ids, len(ids))
        # Four of each workflow call but only two label calls: answering from a stale status (read
        # before the lock) would have all four reviews succeed, which no serial order explains.
        calls = [
            *[Call("addAssetsToReview", ids if i % 2 else shuffled, reviewer) for i in range(4)],
            *[Call("sendAssetsBackToQueue", shuffled if i % 2 else ids, team.key["TEAM_MANAGER"]) for i in range(4)],
            Call("REVIEW", shuffled, reviewer),
            Call("DEFAULT", ids, labeler),
        ]
        await run_gated(app, api, calls, ids)
        _assert_no_internal_errors(calls, caplog)
        assert all(not call.body.get("errors") for call in calls), [c.body.get("errors") for c in calls]

        created = await _stamp_label_calls(app, calls)
        rows = await _state(api, team.key["ADMIN"], ids)
        final = {asset_id: row["status"] for asset_id, row in rows.items()}
        history = serial_history(calls, {a: "LABELED" for a in ids}, final)
        assert history is not None, ("no serial order explains the answers", round_, [c.body for c in calls], final)
        # Every call touches every asset, so the calls are serialized as wholes: all assets end alike.
        assert len(set(final.values())) == 1, final
        _assert_labels_follow(calls, rows, created)


async def test_overlapping_subsets_in_any_order_never_deadlock(api, seeder, app, caplog) -> None:
    caplog.set_level(logging.ERROR)
    team = await Team().build(seeder)
    keys = {"addAssetsToReview": "REVIEWER", "sendAssetsBackToQueue": "TEAM_MANAGER", "REVIEW": "ADMIN"}
    for round_ in range(ROUNDS):
        rng = random.Random(100 + round_)
        assets = [await seeder.asset(team.project, status=rng.choice(STATUSES)) for _ in range(20)]
        initial = {a.id: a.status for a in assets}
        ids = list(initial)
        calls = [
            Call(kind, rng.sample(ids, rng.randint(5, 20)), team.key[keys.get(kind, "LABELER")])
            for kind in ["addAssetsToReview", "sendAssetsBackToQueue", "REVIEW", "DEFAULT"] * 2
        ]
        await run_gated(app, api, calls, ids)
        _assert_no_internal_errors(calls, caplog)
        assert all(not call.body.get("errors") for call in calls), [c.body.get("errors") for c in calls]

        created = await _stamp_label_calls(app, calls)
        rows = await _state(api, team.key["ADMIN"], ids)
        for asset_id, row in rows.items():
            touching = [c for c in calls if asset_id in c.asset_ids]
            history = serial_history(touching, {asset_id: initial[asset_id]}, {asset_id: row["status"]})
            assert history is not None, ("no serial order explains", asset_id, initial[asset_id], row["status"])
        _assert_labels_follow(calls, rows, created)


def _explained_without_stamps(calls: list[Call], ids: list[str]) -> bool:
    """Whether some serial order from LABELED explains the calls' answers, trying every order of the
    label calls and every final status."""
    labels = [c for c in calls if c.is_label]
    for order in itertools.permutations(labels):
        for rank, call in enumerate(order):
            call.written_at = datetime(2000, 1, 1, second=rank)
        for final in STATUSES:
            if serial_history(calls, {a: "LABELED" for a in ids}, {a: final for a in ids}) is not None:
                return True
    return False


async def test_deleting_while_others_label_and_review(api, seeder, app, caplog) -> None:
    """Each call runs entirely before or entirely after a delete (they all lock the same rows in the
    same order): a label call either labeled every asset (and the delete took the labels along) or
    found none (NOT_FOUND, nothing written); a workflow call either answered for every asset as the
    state machine does, or declined every one as gone (no external id). Two deletes race: each says
    every asset is gone (succeeded), and exactly one of them deleted each asset (the one that still
    knew its external id)."""
    caplog.set_level(logging.ERROR)
    team = await Team().build(seeder)
    for _ in range(ROUNDS):
        assets = await seeder.assets(team.project, 10, status="LABELED")
        ids = [a.id for a in assets]
        external_id_of = {a.id: a.external_id for a in assets}
        calls = [
            Call("DEFAULT", ids, team.key["LABELER"]),
            Call("REVIEW", ids[::-1], team.key["REVIEWER"]),
            Call("addAssetsToReview", ids, team.key["REVIEWER"]),
            Call("sendAssetsBackToQueue", ids[::-1], team.key["REVIEWER"]),
        ]
        deletions = [
            Call("deleteAssets", ids[::-1], team.key["TEAM_MANAGER"]),
            Call("deleteAssets", ids, team.key["ADMIN"]),
        ]
        await run_gated(app, api, [*calls, *deletions], ids)
        _assert_no_internal_errors([*calls, *deletions], caplog)
        assert all(not call.body.get("errors") for call in [*calls[2:], *deletions])

        deleted_by: dict[str, int] = {}
        for deletion in deletions:
            outcome = deletion.body["data"]["data"]
            assert outcome["declined"] == [] and outcome["failed"] == [], outcome
            assert sorted(r["assetId"] for r in outcome["succeeded"]) == sorted(ids), outcome
            for ref in outcome["succeeded"]:
                assert ref["externalId"] in (external_id_of[ref["assetId"]], None), ref
                if ref["externalId"] is not None:
                    deleted_by[ref["assetId"]] = deleted_by.get(ref["assetId"], 0) + 1
        assert deleted_by == {i: 1 for i in ids}, deleted_by

        before_deletion = []
        for call in calls:
            if call.is_label:
                errors = call.body.get("errors")
                if errors:
                    assert errors[0]["extensions"]["code"] == "NOT_FOUND", errors
                    assert call.body["data"] is None
                else:
                    assert [label["assetId"] for label in call.body["data"]["data"]] == call.asset_ids
                    before_deletion.append(call)
                continue
            outcome = call.body["data"]["data"]
            assert outcome["failed"] == [], outcome
            refs = outcome["succeeded"] + outcome["declined"]
            assert sorted(r["assetId"] for r in refs) == sorted(ids), outcome
            gone = [r for r in refs if r["externalId"] is None]
            if gone:  # ran after the delete: nothing to act on, each asset declined as gone
                assert outcome["succeeded"] == [] and len(gone) == len(ids), outcome
            else:  # ran before: its answers are checked against the state machine below
                assert all(r["externalId"] == external_id_of[r["assetId"]] for r in refs), outcome
                before_deletion.append(call)
        # The calls that ran before the deletes are explained by a serial order from LABELED. Their
        # final statuses and labels are gone with the assets, so the label calls' order is unknown and
        # the final state is any one (all assets end alike: the calls serialize as wholes).
        assert _explained_without_stamps(before_deletion, ids), [c.body for c in before_deletion]
        assert await _state(api, team.key["ADMIN"], ids) == {}
        async with app.state.services.session_factory() as db:
            labels = await db.execute(select(models.Label.id).where(models.Label.asset_id.in_(ids)))
            assert labels.all() == []
