"""A page of assets with every relation costs a fixed number of SQL statements, whatever its size."""

from __future__ import annotations

from gateway.auth import AuthCache
from gateway.db import models

PAGE = """query($where: AssetWhere!, $first: PageSize!, $skip: Int!) {
  data: assets(where: $where, first: $first, skip: $skip) {
    id url content
    labels { id isLatestLabelForUser author { id email } }
    latestLabel { id author { id } }
    project { id title }
    sets { id name }
    session { id name }
    toBeLabeledBy { id email }
  }
}"""

# 1 authentication (the key's lookup: the suite runs with the key cache off), 1 page of assets, then
# one batched statement per relation: labels, latest labels, projects, sets, sessions, assignees,
# label authors, isLatestLabelForUser.
EXPECTED_STATEMENTS = 10


async def _project_with_assets(seeder, size: int, *, issues: bool = False) -> tuple[str, str]:
    """A project of `size` assets, each with 2 labels by different authors, in 2 sets and a session,
    assigned to 2 users; with `issues`, each also has an issue and a question by a third user.
    Returns the project id and an API key."""
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    alice, _ = await seeder.user(org)
    bob, _ = await seeder.user(org)
    project = await seeder.project(org)
    session = await seeder.session(project)
    assets = await seeder.assets(project, size, session_id=session.id)
    await seeder.asset_set(project, assets)
    await seeder.asset_set(project, assets)
    await seeder.add(
        *[models.AssetAssignee(asset_id=a.id, user_id=u.id) for a in assets for u in (alice, bob)],
        *[
            models.Label(
                asset_id=a.id, project_id=project.id, author_id=u.id, label_type="DEFAULT", created_at=seeder.tick()
            )
            for a in assets
            for u in (alice, bob)
        ],
    )
    if issues:
        carol, _ = await seeder.user(org)
        await seeder.add(
            *[
                models.Issue(
                    project_id=project.id, asset_id=a.id, author_id=carol.id, issue_type=t, created_at=seeder.tick()
                )
                for a in assets
                for t in ("ISSUE", "QUESTION")
            ]
        )
    return project.id, key


async def _statements_for_page(api, sql_counter, project_id: str, key: str, size: int) -> int:
    variables = {"where": {"project": {"id": project_id}}, "first": 100, "skip": 0}
    with sql_counter:
        rows = (await api.data(PAGE, variables, key=key))["data"]
    assert len(rows) == size
    assert all(len(r["labels"]) == 2 and len(r["sets"]) == 2 and len(r["toBeLabeledBy"]) == 2 for r in rows)
    assert all(r["session"] is not None and r["latestLabel"] is not None for r in rows)
    return sql_counter.count


async def test_a_page_of_assets_costs_the_same_statements_for_1_and_100_assets(api, seeder, sql_counter) -> None:
    counts = {}
    for size in (1, 100):
        project_id, key = await _project_with_assets(seeder, size)
        sql_counter.statements.clear()
        counts[size] = await _statements_for_page(api, sql_counter, project_id, key, size)
    print(f"\nSQL statements for a page of assets with all relations: {counts}")
    assert counts[1] == counts[100] == EXPECTED_STATEMENTS, (counts, sql_counter.statements)


async def test_a_page_of_assets_with_a_cached_key_costs_one_statement_less(
    api, app, seeder, sql_counter, monkeypatch
) -> None:
    # The suite runs with the key cache off (every pin above counts the key's lookup); as served by
    # default, a key that authenticated a moment ago is not looked up again.
    monkeypatch.setattr(app.state.services, "auth_cache", AuthCache(60, 100))
    project_id, key = await _project_with_assets(seeder, 100)
    assert await _statements_for_page(api, sql_counter, project_id, key, 100) == EXPECTED_STATEMENTS
    sql_counter.statements.clear()
    assert await _statements_for_page(api, sql_counter, project_id, key, 100) == EXPECTED_STATEMENTS - 1
    assert not any("api_key" in statement for statement in sql_counter.statements)


ISSUES_PAGE = PAGE.replace(
    "toBeLabeledBy { id email }", "toBeLabeledBy { id email }\n    issues { id author { email } }"
)

# The page above, plus one batched statement for the issues and one for their author (who wrote no label).
EXPECTED_STATEMENTS_WITH_ISSUES = EXPECTED_STATEMENTS + 2


async def test_a_page_of_assets_with_their_issues_costs_the_same_for_1_and_100_assets(api, seeder, sql_counter) -> None:
    counts = {}
    for size in (1, 100):
        project_id, key = await _project_with_assets(seeder, size, issues=True)
        variables = {"where": {"project": {"id": project_id}}, "first": 100, "skip": 0}
        sql_counter.statements.clear()
        with sql_counter:
            rows = (await api.data(ISSUES_PAGE, variables, key=key))["data"]
        assert len(rows) == size
        authors = {issue["author"]["email"] for r in rows for issue in r["issues"]}
        assert all(len(r["issues"]) == 2 for r in rows) and len(authors) == 1
        counts[size] = sql_counter.count
    print(f"\nSQL statements for a page of assets with all relations and their issues: {counts}")
    assert counts[1] == counts[100] == EXPECTED_STATEMENTS_WITH_ISSUES, (counts, sql_counter.statements)
