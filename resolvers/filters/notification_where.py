"""NotificationWhere → one SQL condition. A viewer reads their own notifications only: `userID`
naming anyone else matches nothing."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from gateway.auth import Viewer
from gateway.db.models import Notification
from resolvers.filters.common import all_of
from schema.inputs.where import NotificationWhere


def compile_notification_where(where: NotificationWhere | None, viewer: Viewer) -> ColumnElement[bool]:
    if where is None:
        return Notification.user_id == viewer.user_id
    return all_of(
        [
            Notification.user_id == viewer.user_id,
            Notification.id == where.id if where.id is not None else None,
            Notification.has_been_seen.is_(where.has_been_seen) if where.has_been_seen is not None else None,
            Notification.user_id == where.user_id if where.user_id is not None else None,
        ]
    )
