"""ASGI middleware: request ids, request-body size limit and gzip request bodies.

The Kili SDK gzips request bodies over 1 MB (`Content-Encoding: gzip`), which neither Starlette
nor Strawberry inflate (wire-protocol trap 10).
"""

from __future__ import annotations

import json
import uuid
import zlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import ErrorCode
from gateway.http_errors import error_document
from gateway.logs import request_id_var


async def send_json_error(send: Send, status: int, message: str, code: ErrorCode, request_id: str | None) -> None:
    body = json.dumps(error_document(message, code, request_id)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestIdMiddleware:
    """Gives each request an id (or keeps the caller's `X-Request-Id`), echoes it in the response and
    sets it for the log lines of the request (`gateway.logs.request_id_var`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode()[:64] or uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)  # every log line of the request carries it (gateway.logs)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


class BodyLimitMiddleware:
    """Refuses request bodies over `max_bytes` (after inflating gzip) with a JSON PAYLOAD_TOO_LARGE
    error, and inflates `Content-Encoding: gzip` bodies for the app behind it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        request_id = scope.get("state", {}).get("request_id")
        headers = dict(scope.get("headers") or [])
        gzipped = headers.get(b"content-encoding", b"").strip().lower() == b"gzip"
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await send_json_error(
                    send, 413, f"Request body over {self.max_bytes} bytes.", ErrorCode.PAYLOAD_TOO_LARGE, request_id
                )
                return
        if gzipped:
            try:
                inflated = self._inflate(bytes(body))
            except zlib.error:
                await send_json_error(
                    send, 400, "Request body is not valid gzip.", ErrorCode.BAD_USER_INPUT, request_id
                )
                return
            if inflated is None:
                await send_json_error(
                    send,
                    413,
                    f"Inflated request body over {self.max_bytes} bytes.",
                    ErrorCode.PAYLOAD_TOO_LARGE,
                    request_id,
                )
                return
            body = bytearray(inflated)
            scope = dict(scope)
            scope["headers"] = [
                (k, v) for k, v in scope["headers"] if k not in {b"content-encoding", b"content-length"}
            ] + [(b"content-length", str(len(body)).encode())]

        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    def _inflate(self, data: bytes) -> bytes | None:
        """The inflated bytes, or None past the limit (a small bomb must not fill memory)."""
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = inflater.decompress(data, self.max_bytes + 1)
        if len(out) > self.max_bytes or inflater.unconsumed_tail:
            return None
        return out + inflater.flush()
