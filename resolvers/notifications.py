"""Notifications: what Kili's SDK polls after `appendManyAssetsAsynchronously`, and asynchronous imports.

labelgate has no background workers: an "asynchronous" import runs synchronously, through the same
code as appendManyAssets, and writes in the same transaction a notification for the viewer that is
already SUCCESS, so the SDK's first poll ends its wait. A failed import raises (as appendManyAssets
does) and writes neither assets nor a notification.
"""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.context import RequestContext
from gateway.db.ids import new_id
from gateway.db.models import Notification, utcnow
from gateway.errors import BadUserInput
from resolvers.asset_append import append_in_transaction
from resolvers.filters.notification_where import compile_notification_where
from resolvers.paging import offset_page
from resolvers.transactions import write_transaction
from schema.inputs.data import AppendManyAssetsAsynchronouslyData, AppendManyAssetsData
from schema.inputs.where import NotificationWhere, ProjectWhere

SUCCESS = "SUCCESS"
UPLOAD_TYPES = frozenset({"TILED_IMAGE", "GEO_SATELLITE", "NATIVE_VIDEO", "FRAME_VIDEO"})


def _as_append_data(data: AppendManyAssetsAsynchronouslyData) -> AppendManyAssetsData:
    if data.multi_layer_content_array is not None:
        raise BadUserInput("multiLayerContentArray is not supported: send one content per asset in contentArray.")
    if data.upload_type is not None and data.upload_type not in UPLOAD_TYPES:
        raise BadUserInput(f"uploadType must be one of {', '.join(sorted(UPLOAD_TYPES))}; got '{data.upload_type}'.")
    return AppendManyAssetsData(
        content_array=data.content_array,
        external_id_array=data.external_id_array,
        id_array=data.id_array,
        json_content_array=data.json_content_array,
        json_metadata_array=data.json_metadata_array,
    )


async def append_many_assets_asynchronously(
    ctx: RequestContext, data: AppendManyAssetsAsynchronouslyData, where: ProjectWhere
) -> Notification:
    """Appends the assets (all or nothing, as appendManyAssets) and returns the SUCCESS notification
    written for the viewer in the same transaction."""
    append_data = _as_append_data(data)
    async with write_transaction(ctx):
        assets = await append_in_transaction(ctx, append_data, where)
        notification = Notification(
            id=new_id(),
            user_id=ctx.viewer.user_id,
            status=SUCCESS,
            message=f"{len(assets)} asset(s) imported.",
            has_been_seen=False,
            created_at=utcnow(),
        )
        async with ctx.db_lock:
            ctx.db.add(notification)
            await ctx.db.flush()
    return notification


async def list_notifications(
    ctx: RequestContext, where: NotificationWhere, first: int, skip: int
) -> list[Notification]:
    statement = select(Notification).where(compile_notification_where(where, ctx.viewer))
    return await ctx.scalars(offset_page(statement, Notification.created_at, Notification.id, first, skip))


async def count_notifications(ctx: RequestContext, where: NotificationWhere) -> int:
    return await ctx.scalar(
        select(func.count()).select_from(Notification).where(compile_notification_where(where, ctx.viewer))
    )
