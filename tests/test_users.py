"""Organizations and their licence, as the Kili SDK's upload check reads them."""

from __future__ import annotations

ORGS = """query($where: OrganizationWhere!) {
  count: countOrganizations(where: $where)
  data: organizations(where: $where, first: 10, skip: 0) { id name license { uploadLocalData } } }"""


async def test_organizations_by_user_filters(api, seeder) -> None:
    org = await seeder.organization()
    viewer, key = await seeder.user(org)
    colleague, _ = await seeder.user(org)
    stranger_org = await seeder.organization()
    stranger, _ = await seeder.user(stranger_org)

    body = await api.data(ORGS, {"where": {"user": {"email": viewer.email.upper()}}}, key=key)
    assert body["count"] == 1
    assert body["data"] == [{"id": org.id, "name": org.name, "license": {"uploadLocalData": True}}]
    # The viewer sees only their own organization, whoever else matches.
    body = await api.data(ORGS, {"where": {"user": {"email": stranger.email}}}, key=key)
    assert body == {"count": 0, "data": []}
    # Nested filters are not correlated with the outer query: "organizations having a user who
    # belongs to an organization having the colleague" is the viewer's organization.
    nested = {"user": {"organization": {"user": {"email": colleague.email}}}}
    assert (await api.data(ORGS, {"where": nested}, key=key))["count"] == 1
    nested = {"user": {"organization": {"user": {"email": stranger.email}}}}
    assert (await api.data(ORGS, {"where": nested}, key=key))["count"] == 0
