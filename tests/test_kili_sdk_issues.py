"""The published Kili SDK (26.2.4) raises, lists, counts and settles issues and questions through
labelgate, with its checks on: the legacy client's methods (which in 26.2.4 include no
create_questions) and the domain client's `kili.issues` / `kili.questions` namespaces (whose default
fields ask for `comments`). The state is checked through GraphQL."""

from __future__ import annotations

import pytest

from tests.live import KiliError
from tests.test_workflow import Team

STATE = """query($where: IssueWhere!) { issues(where: $where, first: 100, skip: 0) {
  id type status assetId labelId objectMid text author { email } } }"""


async def _state(api, key: str, project_id: str) -> list[dict]:
    return (await api.data(STATE, {"where": {"project": {"id": project_id}}}, key=key))["issues"]


async def test_legacy_client_issue_methods(api, kili_connect, seeder) -> None:
    team = await Team().build(seeder)
    project_id = team.project.id
    img = [await seeder.asset(team.project, external_id=f"img-{i}") for i in range(3)]
    labels = [await seeder.label(asset, team.user["LABELER"]) for asset in img[:2]]
    reviewer = kili_connect(team.key["REVIEWER"])
    labeler = kili_connect(team.key["LABELER"])

    created = reviewer.create_issues(
        project_id=project_id,
        label_id_array=[labels[0].id, labels[1].id],
        object_mid_array=["obj-1", None],
        text_array=["the box is too wide", None],
    )
    # The legacy client of 26.2.4 has no create_questions: questions come from the domain client.
    asker = kili_connect(team.key["LABELER"], domain=True)
    by_external_id = asker.questions.create(
        project_id=project_id, text_array=["Is this a bus?"], asset_external_id_array=["img-2"]
    )
    by_id = asker.questions.create(project_id=project_id, text_array=["Night or day?"], asset_id_array=[img[0].id])
    ids = [c["id"] for c in created + by_external_id + by_id]
    state = await _state(api, team.key["ADMIN"], project_id)
    assert [(s["id"], s["type"], s["assetId"], s["labelId"], s["objectMid"], s["text"]) for s in state] == [
        (ids[0], "ISSUE", img[0].id, labels[0].id, "obj-1", "the box is too wide"),
        (ids[1], "ISSUE", img[1].id, labels[1].id, None, None),
        (ids[2], "QUESTION", img[2].id, None, None, "Is this a bus?"),
        (ids[3], "QUESTION", img[0].id, None, None, "Night or day?"),
    ]
    assert [s["author"]["email"] for s in state] == [team.user["REVIEWER"].email] * 2 + [team.user["LABELER"].email] * 2

    # issues: default fields, explicit ones, filters, paging.
    listed = labeler.issues(project_id=project_id)
    assert [r["id"] for r in listed] == ids
    assert set(listed[0]) == {"id", "createdAt", "status", "type", "assetId"}
    assert (listed[0]["type"], listed[0]["status"], listed[0]["assetId"]) == ("ISSUE", "OPEN", img[0].id)
    explicit = reviewer.issues(
        project_id=project_id,
        fields=["id", "author.email", "labelId", "objectMid", "comments.text", "comments.authorIdUser"],
        issue_type="ISSUE",
    )
    assert explicit[0] == {
        "id": ids[0],
        "author": {"email": team.user["REVIEWER"].email},
        "labelId": labels[0].id,
        "objectMid": "obj-1",
        "comments": [{"text": "the box is too wide", "authorIdUser": team.user["REVIEWER"].id}],
    }
    assert [r["id"] for r in explicit] == ids[:2] and explicit[1]["comments"] == []
    assert [r["id"] for r in labeler.issues(project_id=project_id, asset_id=img[0].id, fields=["id"])] == [
        ids[0],
        ids[3],
    ]
    in_assets = labeler.issues(project_id=project_id, asset_id_in=[img[1].id, img[2].id], fields=["id"])
    assert [r["id"] for r in in_assets] == ids[1:3]
    assert [r["id"] for r in labeler.issues(project_id=project_id, first=2, skip=1, fields=["id"])] == ids[1:3]
    assert labeler.count_issues(project_id=project_id) == 4
    assert labeler.count_issues(project_id=project_id, issue_type="QUESTION") == 2
    assert labeler.count_issues(project_id=project_id, asset_id=img[0].id) == 2
    assert labeler.count_issues(project_id=project_id, asset_id_in=[img[1].id, img[2].id]) == 2
    assert labeler.count_issues(project_id=project_id, status="OPEN") == 4

    # update_issue_status; a labeler may neither settle nor raise issues.
    reviewer.update_issue_status(issue_id=ids[0], status="SOLVED")
    reviewer.update_issue_status(issue_id=ids[2], status="CANCELLED")
    with pytest.raises(KiliError, match="FORBIDDEN|may not"):
        labeler.update_issue_status(issue_id=ids[1], status="SOLVED")
    with pytest.raises(KiliError, match="FORBIDDEN|may not"):
        labeler.create_issues(project_id=project_id, label_id_array=[labels[1].id])
    assert [s["status"] for s in await _state(api, team.key["ADMIN"], project_id)] == [
        "SOLVED",
        "OPEN",
        "CANCELLED",
        "OPEN",
    ]
    assert labeler.count_issues(project_id=project_id, status="SOLVED") == 1
    assert [r["id"] for r in labeler.issues(project_id=project_id, status="OPEN", fields=["id"])] == [ids[1], ids[3]]
    assert labeler.count_issues(project_id=project_id, issue_type="QUESTION", status="OPEN") == 1

    # assets / count_assets with issue_type and issue_status.
    def externals(**filters) -> list[str]:
        rows = labeler.assets(project_id=project_id, fields=["externalId"], **filters)
        assert labeler.count_assets(project_id=project_id, **filters) == len(rows)
        return [r["externalId"] for r in rows]

    assert externals(issue_type="QUESTION") == ["img-0", "img-2"]
    assert externals(issue_type="ISSUE") == ["img-0", "img-1"]
    assert externals(issue_status="SOLVED") == ["img-0"]
    assert externals(issue_status="CANCELLED") == ["img-2"]
    assert externals(issue_type="ISSUE", issue_status="OPEN") == ["img-1"]
    assert externals(issue_type="QUESTION", issue_status="SOLVED") == []
    assert externals() == ["img-0", "img-1", "img-2"]


async def test_deprecated_append_to_issues(api, kili_connect, seeder) -> None:
    """Kili's older single-issue call: it looks the label's asset up, then sends `where: {id: asset}`."""
    team = await Team().build(seeder)
    asset = await seeder.asset(team.project)
    label = await seeder.label(asset, team.user["LABELER"])
    kili = kili_connect(team.key["REVIEWER"])
    result = kili.append_to_issues(
        label_id=label.id, project_id=team.project.id, object_mid="obj-9", text="check the tail", type_="ISSUE"
    )
    state = await _state(api, team.key["ADMIN"], team.project.id)
    assert [(s["id"], s["labelId"], s["assetId"], s["objectMid"], s["text"]) for s in state] == [
        (result["id"], label.id, asset.id, "obj-9", "check the tail")
    ]


async def test_domain_client_issues_and_questions_namespaces(api, kili_connect, seeder) -> None:
    team = await Team().build(seeder)
    project_id = team.project.id
    img = [await seeder.asset(team.project, external_id=f"img-{i}") for i in range(2)]
    label = await seeder.label(img[0], team.user["LABELER"])
    reviewer = kili_connect(team.key["REVIEWER"], domain=True)
    labeler = kili_connect(team.key["LABELER"], domain=True)

    issue_id = reviewer.issues.create(project_id=project_id, label_id=label.id, text="the wheel is missing")[0]["id"]
    more = reviewer.issues.create(project_id=project_id, label_id_array=[label.id], text_array=["and the mirror"])
    question_id = labeler.questions.create(project_id=project_id, asset_external_id="img-1", text="Truck or van?")[0][
        "id"
    ]

    # The namespaces' default fields ask for the comments of each issue.
    issues = labeler.issues.list(project_id=project_id)
    assert [i["id"] for i in issues] == [issue_id, more[0]["id"]]
    assert issues[0]["type"] == "ISSUE" and issues[0]["assetId"] == img[0].id
    assert [(c["text"], c["authorIdUser"]) for c in issues[0]["comments"]] == [
        ("the wheel is missing", team.user["REVIEWER"].id)
    ]
    questions = reviewer.questions.list(project_id=project_id)
    assert [(q["id"], q["type"], q["assetId"]) for q in questions] == [(question_id, "QUESTION", img[1].id)]
    assert questions[0]["comments"][0]["text"] == "Truck or van?"
    assert labeler.issues.count(project_id=project_id) == 2
    assert labeler.questions.count(project_id=project_id) == 1
    assert labeler.issues.count(project_id=project_id, filter={"asset_id_in": [img[1].id]}) == 0

    solved = reviewer.issues.solve(issue_id=issue_id)
    assert [(r["id"], r["status"], r["success"]) for r in solved] == [(issue_id, "SOLVED", True)]
    reviewer.issues.cancel(issue_ids=[more[0]["id"]])
    reviewer.questions.solve(question_id=question_id)
    reviewer.issues.open(issue_id=more[0]["id"])
    assert [(s["id"], s["status"]) for s in await _state(api, team.key["ADMIN"], project_id)] == [
        (issue_id, "SOLVED"),
        (more[0]["id"], "OPEN"),
        (question_id, "SOLVED"),
    ]
    assert [i["id"] for i in labeler.issues.list(project_id=project_id, filter={"status": "OPEN"})] == [more[0]["id"]]
    assert labeler.issues.count(project_id=project_id, filter={"status": "SOLVED"}) == 1
