"""Rows for tests, written straight to the database. Each test builds its own organization, so
tests never see each other's data and need no cleanup."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth import generate_api_key, new_api_key_row
from gateway.db import models
from gateway.db.ids import new_id

_counter = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}-{new_id()[:6]}"


class Seeder:
    """Creates rows in committed transactions. `clock` hands out increasing created_at values so
    that the (created_at, id) order of rows is the order they were made in."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._clock = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=next(_counter))

    def tick(self) -> datetime:
        self._clock += timedelta(milliseconds=1)
        return self._clock

    async def add(self, *rows: Any) -> None:
        async with self._session_factory() as db, db.begin():
            db.add_all(rows)

    async def organization(self, name: str | None = None) -> models.Organization:
        org = models.Organization(name=name or unique("org"))
        await self.add(org)
        return org

    async def user(
        self,
        org: models.Organization,
        *,
        admin: bool = False,
        email: str | None = None,
        firstname: str | None = None,
        lastname: str | None = None,
        expires_in: timedelta = timedelta(days=365),
    ) -> tuple[models.User, str]:
        """A user and a fresh API key for them."""
        user = models.User(
            organization_id=org.id,
            email=email or f"{unique('user')}@example.com",
            is_org_admin=admin,
            firstname=firstname,
            lastname=lastname,
        )
        key = generate_api_key()
        await self.add(user)
        await self.add(new_api_key_row(user.id, key, lifetime=expires_in))
        return user, key

    async def project(
        self, org: models.Organization, *, members: dict[str, str] | None = None, **fields: Any
    ) -> models.Project:
        """A project; `members` maps user id → role."""
        fields.setdefault("title", unique("project"))
        now = self.tick()
        project = models.Project(organization_id=org.id, created_at=now, updated_at=now, **fields)
        await self.add(project)
        if members:
            await self.add(
                *[models.ProjectMember(project_id=project.id, user_id=uid, role=role) for uid, role in members.items()]
            )
        return project

    async def assets(self, project: models.Project, count: int, **fields: Any) -> list[models.Asset]:
        rows = []
        for i in range(count):
            now = self.tick()
            values = {"external_id": unique(f"ext{i}"), "content": f"https://example.com/{i}.jpg", **fields}
            rows.append(models.Asset(project_id=project.id, created_at=now, updated_at=now, **values))
        await self.add(*rows)
        return rows

    async def asset(self, project: models.Project, **fields: Any) -> models.Asset:
        return (await self.assets(project, 1, **fields))[0]

    async def label(
        self,
        asset: models.Asset,
        author: models.User,
        *,
        label_type: str = "DEFAULT",
        json_response: dict | None = None,
        **fields: Any,
    ) -> models.Label:
        label = models.Label(
            asset_id=asset.id,
            project_id=asset.project_id,
            author_id=author.id,
            label_type=label_type,
            json_response=json_response if json_response is not None else {},
            created_at=self.tick(),
            **fields,
        )
        await self.add(label)
        return label

    async def asset_set(
        self, project: models.Project, assets: list[models.Asset] | tuple[()] = (), **fields: Any
    ) -> models.AssetSet:
        """A set holding `assets`, added in the given order (each a tick after the previous one)."""
        fields.setdefault("name", unique("set"))
        now = self.tick()
        asset_set = models.AssetSet(project_id=project.id, created_at=now, updated_at=now, **fields)
        await self.add(asset_set)
        if assets:
            await self.add(*[models.SetAsset(set_id=asset_set.id, asset_id=a.id, added_at=self.tick()) for a in assets])
        return asset_set

    async def session(self, project: models.Project, **fields: Any) -> models.Session:
        """A session (recording); put assets on it with `asset(project, session_id=..., timestamp=...)`."""
        fields.setdefault("name", unique("session"))
        now = self.tick()
        session = models.Session(project_id=project.id, created_at=now, updated_at=now, **fields)
        await self.add(session)
        return session

    async def event(self, session: models.Session, **fields: Any) -> models.SessionEvent:
        """An event on a session's timeline (default: a POINT event at the session's start, or now)."""
        fields.setdefault("event_type", "POINT")
        fields.setdefault("start_time", session.start_time or self._clock)
        event = models.SessionEvent(session_id=session.id, created_at=self.tick(), **fields)
        await self.add(event)
        return event

    async def assign(self, asset: models.Asset, *users: models.User) -> None:
        """Adds `users` to the asset's `toBeLabeledBy`."""
        await self.add(*[models.AssetAssignee(asset_id=asset.id, user_id=u.id) for u in users])
