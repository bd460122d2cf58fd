"""Creating projects."""

from __future__ import annotations

CREATE = """mutation($data: CreateProjectData!) {
  data: createProject(data: $data) { id title description inputType jsonInterface roles { role user { id } } } }"""


async def test_create_project_makes_the_creator_its_admin(api, seeder) -> None:
    org = await seeder.organization()
    user, key = await seeder.user(org)
    data = {"title": "Cars", "description": "d", "inputType": "TEXT", "jsonInterface": '{"jobs": {}}'}
    project = (await api.data(CREATE, {"data": data}, key=key))["data"]
    assert project["title"] == "Cars" and project["inputType"] == "TEXT"
    assert project["jsonInterface"] == '{"jobs": {}}'
    assert project["roles"] == [{"role": "ADMIN", "user": {"id": user.id}}]
    count = "query($id: ID!) { countProjects(where: {id: $id}) }"
    assert (await api.data(count, {"id": project["id"]}, key=key))["countProjects"] == 1
    # What the SDK sends when no interface is given.
    none = (await api.data(CREATE, {"data": {"title": "t", "jsonInterface": "null"}}, key=key))["data"]
    assert none["jsonInterface"] is None and none["inputType"] == "IMAGE"


async def test_bad_project_input_writes_nothing(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    for data in [{"title": "x", "jsonInterface": "{not json"}, {"title": "x", "jsonInterface": "[1]"}, {"title": " "}]:
        error = await api.error(CREATE, {"data": data}, key=key)
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert (await api.data("{ countProjects(where: {}) }", key=key))["countProjects"] == 0
