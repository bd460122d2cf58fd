"""Placing assets on session timelines (appendManyAssets, updatePropertiesInAssets).

An asset sits in at most one session, of its own project, and a slice owns no assets (its assets are
its recording's inside its span). A timestamp outside its session's span widens the span (SceneBox's
`extend_session` default) unless the caller says not to; then the item is refused, named. Two
statements whatever the number of items, and only when some item names a session: one locks the
sessions named (FOR UPDATE, in id order, so concurrent widenings of one span serialize), one widens
every span that must grow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, func, select, update

from gateway.context import RequestContext
from gateway.db.models import Session, utcnow
from gateway.errors import BadUserInput
from resolvers.arrays import any_id, values_table


@dataclass(frozen=True)
class Placement:
    """Item `index` of a call puts an asset of `project_id` in `session_id` (or none) at `timestamp`."""

    index: int
    project_id: str
    session_id: str | None
    timestamp: datetime | None


async def place_on_timelines(
    ctx: RequestContext,
    placements: Sequence[Placement],
    *,
    extend: bool,
    session_field: str,
    timestamp_field: str,
) -> None:
    """Checks every placement's session (BAD_USER_INPUT naming the item: `session_field` formatted with
    `i`, e.g. "sessionIDArray[{i}]") and widens the spans its timestamps fall outside (or, without
    `extend`, refuses naming `timestamp_field`)."""
    placed = [p for p in placements if p.session_id is not None]
    if not placed:
        return
    wanted = sorted({p.session_id for p in placed})
    rows = (
        await ctx.execute(
            select(Session.id, Session.project_id, Session.origin_session_id, Session.start_time, Session.end_time)
            .where(any_id(Session.id, wanted))
            .order_by(Session.id)
            .with_for_update()
        )
    ).all()
    sessions = {row.id: row for row in rows}
    spans: dict[str, tuple[datetime | None, datetime | None]] = {}
    for p in placed:
        session = sessions.get(p.session_id)
        if session is None or session.project_id != p.project_id:
            raise BadUserInput(
                f"{session_field.format(i=p.index)}: no session '{p.session_id}' in the asset's project "
                f"'{p.project_id}'."
            )
        if session.origin_session_id is not None:
            raise BadUserInput(
                f"{session_field.format(i=p.index)}: session '{p.session_id}' is a slice of "
                f"'{session.origin_session_id}'; place assets on the recording."
            )
        start, end = spans.get(p.session_id, (session.start_time, session.end_time))
        if p.timestamp is None or (start is not None and end is not None and start <= p.timestamp <= end):
            continue
        if not extend:
            raise BadUserInput(
                f"{timestamp_field.format(i=p.index)}: {p.timestamp.isoformat()} is outside the span of session "
                f"'{p.session_id}' and extendSessions is false."
            )
        spans[p.session_id] = (
            min(t for t in (start, p.timestamp) if t is not None),
            max(t for t in (end, p.timestamp) if t is not None),
        )
    if spans:
        ids = sorted(spans)
        wider = values_table(
            "wider",
            {"lo": DateTime(timezone=True), "hi": DateTime(timezone=True)},
            id=ids,
            lo=[spans[i][0] for i in ids],
            hi=[spans[i][1] for i in ids],
        )
        await ctx.execute(
            update(Session)
            .where(Session.id == wider.c.id)
            .values(start_time=wider.c.lo, end_time=wider.c.hi, updated_at=func.greatest(Session.updated_at, utcnow()))
            .execution_options(synchronize_session=False)
        )
