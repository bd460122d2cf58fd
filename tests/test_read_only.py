"""Queries run without a transaction (no BEGIN/ROLLBACK sent to PostgreSQL); mutations keep theirs."""

from __future__ import annotations

import asyncpg
import pytest

from gateway.auth import AuthCache
from gateway.db.read_only import is_query
from gateway.settings import Settings

PROJECTS = "query Mine { projects(where: {}, first: 10, skip: 0) { id title } countProjects(where: {}) }"
CREATE = 'mutation { createProject(data: {title: "%s", inputType: IMAGE}) { id } }'


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    """The first word of every simple-query statement asyncpg sends (BEGIN, COMMIT and ROLLBACK go
    out this way, from asyncpg's Transaction)."""
    words: list[str] = []
    execute = asyncpg.Connection.execute

    async def recording(self, query: str, *args, **kwargs):
        words.append(query.split(None, 1)[0].rstrip(";").upper())
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "execute", recording)
    return words


@pytest.fixture
def warm_cache(app, monkeypatch) -> AuthCache:
    cache = AuthCache(60, 100)
    monkeypatch.setattr(app.state.services, "auth_cache", cache)
    return cache


async def test_a_query_sends_no_begin_and_a_mutation_does(api, seeder, sent, warm_cache, sql_counter) -> None:
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    await api.data("{ viewer { id } }", key=key)  # the key is now cached
    sent.clear()
    with sql_counter:
        assert (await api.data(CREATE % "read-only", key=key))["createProject"]["id"]
    assert sql_counter.count > 0
    assert sent.count("BEGIN") == 1 and sent.count("COMMIT") == 1, sent
    sent.clear()
    sql_counter.statements.clear()
    with sql_counter:
        data = await api.data(PROJECTS, key=key)
    assert [p["title"] for p in data["projects"]] == ["read-only"] and data["countProjects"] == 1
    assert sql_counter.count == 1  # the planner answers both fields in one statement, outside a transaction
    assert sent == [], sent


async def test_a_cold_key_lookup_ends_its_transaction_before_the_query(api, seeder, sent) -> None:
    """The suite's app has the key cache off: the lookup runs in a transaction (as every statement
    did before), which ends before the query's statements run outside one."""
    org = await seeder.organization()
    _, key = await seeder.user(org, admin=True)
    sent.clear()
    await api.data(PROJECTS, key=key)
    assert sent == ["BEGIN", "ROLLBACK"], sent


TWO = "query A { viewer { id } } " + CREATE.replace("mutation", "mutation B") % "x"


@pytest.mark.parametrize(
    ("document", "operation_name", "query"),
    [
        ("{ viewer { id } }", None, True),
        (TWO, "A", True),
        (TWO, "B", False),
        (TWO, None, False),  # two operations and no name: nothing runs
        ("mutation { x }", None, False),
        ("{ not closed", None, False),
        ("", None, False),
    ],
)
def test_which_documents_are_queries(document: str, operation_name: str | None, query: bool) -> None:
    assert is_query(document, operation_name, Settings()) is query
