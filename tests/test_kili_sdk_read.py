"""The published Kili SDK (26.2.4), with its constructor checks on, reads what the database holds."""

from __future__ import annotations

import pytest

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
