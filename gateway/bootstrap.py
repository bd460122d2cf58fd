"""Creating organizations, users and API keys from the command line (`serve`'s first start, `create-user`).

Each function is one transaction. They take a PostgreSQL advisory lock first, so two processes
bootstrapping the same database at once (two replicas starting, `create-user` during `serve`)
cannot both decide that no organization exists yet or both create the same organization.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from gateway.auth import DEFAULT_KEY_LIFETIME, generate_api_key, new_api_key_row
from gateway.db.engine import pgbouncer_connect_args
from gateway.db.models import Organization, User

ADMIN_EMAIL = "admin@labelgate.local"
DEFAULT_ORGANIZATION = "Default organization"
_LOCK_KEY = 0x6C6162656C67  # "labelg": any constant; only labelgate's bootstrap takes this lock


class BootstrapError(Exception):
    """An operator mistake (unknown organization, email taken, ...): printed as is, no traceback."""


@dataclass(frozen=True)
class NewUser:
    """A user just created, with the only copy of their API key."""

    user_id: str
    email: str
    organization_id: str
    organization_name: str
    organization_created: bool
    is_org_admin: bool
    api_key: str


@asynccontextmanager
async def database_session(database_url: str) -> AsyncIterator[AsyncSession]:
    """A session on a throwaway engine (no pool), for one command. Without statement caches (worth
    nothing for a few statements), so it works through PgBouncer in transaction mode too."""
    engine = create_async_engine(database_url, poolclass=NullPool, connect_args=pgbouncer_connect_args())
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            yield session
    finally:
        await engine.dispose()


async def _lock(session: AsyncSession) -> None:
    """Serialize bootstraps across processes until the transaction ends."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def _clean_email(email: str) -> str:
    email = email.strip()
    local, _, domain = email.partition("@")
    if not local or not domain or " " in email:
        raise BootstrapError(f"not an email address: {email!r}")
    return email


def _lifetime(days: float | None) -> timedelta:
    if days is None:
        return DEFAULT_KEY_LIFETIME
    if days <= 0:
        raise BootstrapError("the key lifetime (--key-days) must be positive")
    return timedelta(days=days)


async def _find_organization(
    session: AsyncSession, *, name: str | None, organization_id: str | None, create_missing: bool
) -> tuple[Organization, bool]:
    """The organization named by id or name (created if named and missing); else the only one there is."""
    if organization_id is not None:
        organization = await session.get(Organization, organization_id)
        if organization is None:
            raise BootstrapError(f"no organization with id {organization_id!r}")
        return organization, False
    if name is not None:
        found = list((await session.scalars(select(Organization).where(Organization.name == name))).all())
        if len(found) > 1:
            raise BootstrapError(f"{len(found)} organizations are named {name!r}: pass --organization-id instead")
        if found:
            return found[0], False
        if not create_missing:
            raise BootstrapError(f"no organization named {name!r}")
        organization = Organization(name=name)
        session.add(organization)
        await session.flush()
        return organization, True
    found = list((await session.scalars(select(Organization).limit(2))).all())
    if len(found) == 1:
        return found[0], False
    if not found:
        raise BootstrapError("there is no organization yet: pass --organization NAME to create one")
    raise BootstrapError("there are several organizations: pass --organization NAME or --organization-id ID")


async def _add_user(
    session: AsyncSession,
    organization: Organization,
    organization_created: bool,
    *,
    email: str,
    is_org_admin: bool,
    firstname: str | None,
    lastname: str | None,
    key_lifetime: timedelta,
    key_name: str,
) -> NewUser:
    user = User(
        organization_id=organization.id,
        email=email,
        firstname=firstname,
        lastname=lastname,
        is_org_admin=is_org_admin,
    )
    session.add(user)
    await session.flush()
    key = generate_api_key()
    session.add(new_api_key_row(user.id, key, name=key_name, lifetime=key_lifetime))
    await session.flush()
    return NewUser(user.id, email, organization.id, organization.name, organization_created, is_org_admin, key)


async def _ensure_email_free(session: AsyncSession, email: str) -> None:
    taken = await session.scalar(select(User.id).where(func.lower(User.email) == email.lower()))
    if taken is not None:
        raise BootstrapError(f"a user with email {email!r} exists already (use `labelgate create-api-key`)")


async def ensure_first_admin(
    session: AsyncSession, *, email: str = ADMIN_EMAIL, organization_name: str = DEFAULT_ORGANIZATION
) -> NewUser | None:
    """On a database without any organization: an organization, its admin and an API key.

    Returns None (and changes nothing) once any organization exists, so only the first start
    of a deployment prints a key.
    """
    email = _clean_email(email)
    async with session.begin():
        await _lock(session)
        if await session.scalar(select(Organization.id).limit(1)) is not None:
            return None
        organization = Organization(name=organization_name)
        session.add(organization)
        await session.flush()
        return await _add_user(
            session,
            organization,
            True,
            email=email,
            is_org_admin=True,
            firstname="Admin",
            lastname=None,
            key_lifetime=DEFAULT_KEY_LIFETIME,
            key_name="initial admin key",
        )


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    organization_name: str | None = None,
    organization_id: str | None = None,
    is_org_admin: bool = False,
    firstname: str | None = None,
    lastname: str | None = None,
    key_days: float | None = None,
) -> NewUser:
    """A user with an API key, in the organization given by id or by name (created if missing).

    With neither, the only organization of the database is used.
    """
    email = _clean_email(email)
    lifetime = _lifetime(key_days)
    async with session.begin():
        await _lock(session)
        await _ensure_email_free(session, email)
        organization, created = await _find_organization(
            session, name=organization_name, organization_id=organization_id, create_missing=True
        )
        return await _add_user(
            session,
            organization,
            created,
            email=email,
            is_org_admin=is_org_admin,
            firstname=firstname,
            lastname=lastname,
            key_lifetime=lifetime,
            key_name="created by labelgate create-user",
        )


async def create_api_key(
    session: AsyncSession, *, email: str, key_days: float | None = None, name: str | None = None
) -> str:
    """A new API key for an existing user (matched case-insensitively by email)."""
    lifetime = _lifetime(key_days)
    async with session.begin():
        user = await session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        if user is None:
            raise BootstrapError(f"no user with email {email.strip()!r}")
        key = generate_api_key()
        session.add(
            new_api_key_row(user.id, key, name=name or "created by labelgate create-api-key", lifetime=lifetime)
        )
    return key
