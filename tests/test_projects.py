"""Projects: listing, counting, paging, visibility."""

from __future__ import annotations

PROJECTS = """query($where: ProjectWhere!, $first: PageSize!, $skip: Int!) {
  data: projects(where: $where, first: $first, skip: $skip) { id title roles { role user { id email } } numberOfAssets }
}"""
COUNT = "query($where: ProjectWhere!) { data: countProjects(where: $where) }"


async def test_members_see_their_projects_only_and_admins_see_the_organization(api, seeder) -> None:
    org = await seeder.organization()
    admin, admin_key = await seeder.user(org, admin=True)
    member, member_key = await seeder.user(org)
    mine = await seeder.project(org, members={member.id: "LABELER"})
    other = await seeder.project(org)
    await seeder.assets(mine, 3)
    other_org = await seeder.organization()
    await seeder.project(other_org)

    data = await api.data(PROJECTS, {"where": {}, "first": 100, "skip": 0}, key=member_key)
    assert [p["id"] for p in data["data"]] == [mine.id]
    assert data["data"][0]["roles"] == [{"role": "LABELER", "user": {"id": member.id, "email": member.email}}]
    assert data["data"][0]["numberOfAssets"] == 3
    assert (await api.data(COUNT, {"where": {}}, key=member_key))["data"] == 1
    assert (await api.data(COUNT, {"where": {"id": other.id}}, key=member_key))["data"] == 0

    data = await api.data(PROJECTS, {"where": {}, "first": 100, "skip": 0}, key=admin_key)
    assert [p["id"] for p in data["data"]] == [mine.id, other.id]
    assert (await api.data(COUNT, {"where": {}}, key=admin_key))["data"] == 2


async def test_project_filters_and_paging_agree_with_counts(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    made = [
        await seeder.project(
            org, title=f"Road scenes {i}", archived=i % 2 == 0, input_type="VIDEO" if i < 2 else "IMAGE"
        )
        for i in range(5)
    ]
    medical = await seeder.project(org, title="Medical", input_type="PDF")
    for where, expected in [
        ({"searchQuery": "road"}, made),
        ({"archived": True}, [p for p in made if p.archived]),
        ({"searchQuery": "ROAD", "archived": False}, [p for p in made if not p.archived]),
        ({"idIn": [made[1].id, made[3].id]}, [made[1], made[3]]),
        ({"idIn": []}, []),
        ({"inputTypeIn": ["VIDEO", "PDF"]}, [*made[:2], medical]),
        ({"inputTypeIn": ["IMAGE"], "archived": True}, [made[2], made[4]]),
        ({"inputTypeIn": []}, []),
    ]:
        count = (await api.data(COUNT, {"where": where}, key=key))["data"]
        ids = []
        for skip in range(0, 10, 2):
            page = await api.data(PROJECTS, {"where": where, "first": 2, "skip": skip}, key=key)
            ids += [p["id"] for p in page["data"]]
        assert ids == [p.id for p in expected], where
        assert count == len(expected), where


async def test_projects_connection_pages_with_cursors(api, seeder) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    made = [await seeder.project(org) for _ in range(5)]
    query = """query($after: String) { projectsConnection(where: {}, first: 2, after: $after) {
        nodes { id } pageInfo { endCursor hasNextPage } } }"""
    seen, after = [], None
    while True:
        page = (await api.data(query, {"after": after}, key=key))["projectsConnection"]
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [p.id for p in made]
    error = await api.error(query, {"after": "not-a-cursor"}, key=key)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
