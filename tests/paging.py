"""Reading a whole filtered list the two ways clients page, to check both against the count."""

from __future__ import annotations


async def paged_ids(api, key: str, list_query: str, connection_query: str, where: dict) -> tuple[list[str], list[str]]:
    """Ids by `first: 2` offset pages until a short page, and by keyset pages of 2.

    `list_query` takes `$where, $first, $skip` and answers `data: [{id}]`; `connection_query` takes
    `$where, $after` and answers `data: {nodes {id} pageInfo {endCursor hasNextPage}}`."""
    ids: list[str] = []
    while True:
        page = (await api.data(list_query, {"where": where, "first": 2, "skip": len(ids)}, key=key))["data"]
        ids += [row["id"] for row in page]
        if len(page) < 2:
            break
    keyset: list[str] = []
    after = None
    while True:
        page = (await api.data(connection_query, {"where": where, "after": after}, key=key))["data"]
        keyset += [node["id"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return ids, keyset
