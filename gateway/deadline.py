"""The time budget of a request, and cancelling its work when the budget runs out or the client leaves.

Two mechanisms, one per side of the database connection:

- `RequestDeadlineMiddleware` runs the rest of the app in a task of its own and cancels that task
  when the budget (`LABELGATE_REQUEST_TIMEOUT_SECONDS`) runs out, answering 504 `TIMEOUT`, or when
  the client disconnects (ASGI `http.disconnect`). Cancelling the task cancels the statement in
  flight: PostgreSQL gets a cancel request for it (`gateway.db.session`), a write transaction rolls back
  (`write_transaction` rolls back on any exception, cancellation included) and the session's
  connection goes back to the pool once the cancellation is through.
- PostgreSQL's `statement_timeout`, set per connection to the same budget (`make_engine`; behind
  PgBouncer, on the role: README, "Behind PgBouncer"), stops a statement the gateway could not cancel
  itself (a blocked event loop, a lost cancel request). Its error, `query_canceled`, is reported as
  `TIMEOUT` too (`statement_timeout_error`).
"""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import ErrorCode, Timeout
from gateway.middleware import send_json_error

log = logging.getLogger("labelgate.deadline")

# SQLSTATE of "canceling statement due to statement timeout" (and of any other cancelled statement).
QUERY_CANCELED = "57014"

# 504 Gateway Timeout: labelgate gave up waiting for its upstream (PostgreSQL, S3) on the client's
# behalf. Not 408 (that says the client was too slow to send), not 503 (SERVICE_UNAVAILABLE: the
# services are down). The body is a GraphQL answer, so the Kili SDK reports the error at once
# instead of resending a request that has just used up its whole budget.
TIMEOUT_STATUS = 504


def statement_timeout_error(error: BaseException | None) -> Timeout | None:
    """A `Timeout` when `error` is (or was caused by) PostgreSQL cancelling a statement, else None."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if getattr(error, "sqlstate", None) == QUERY_CANCELED:
            return Timeout("A database statement ran out of the request's time budget and was cancelled.")
        error = getattr(error, "orig", None) or error.__cause__
    return None


class _ResponseWatch:
    """Passes the app's messages on, noting whether the response has started and ended."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False
        self.complete = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self.complete = True
        await self._send(message)


class RequestDeadlineMiddleware:
    """Cancels a request's work after `seconds` (answering `TIMEOUT`) or when its client disconnects.

    The budget counts from when the whole request body has arrived (uvicorn's own timeouts cover
    slow senders). The TIMEOUT answer is sent once the cancelled work has unwound: by then a write
    transaction that had not committed has been rolled back."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = await _read_body(receive)
        if request is None:
            return  # the client left before it finished sending
        client_gone = asyncio.Event()
        delivered = False

        async def app_receive() -> Message:
            # The body once, then (should the app listen) the disconnect the watcher saw: two
            # readers of the server's receive() would steal each other's messages.
            nonlocal delivered
            if not delivered:
                delivered = True
                return request
            await client_gone.wait()
            return {"type": "http.disconnect"}

        response = _ResponseWatch(send)
        started = time.monotonic()
        work = asyncio.create_task(self.app(scope, app_receive, response.send))
        watcher = asyncio.create_task(_wait_for_disconnect(receive, client_gone))
        try:
            cancelled_for = await self._supervise(work, watcher, client_gone, response)
        finally:
            watcher.cancel()
            work.cancel()  # a no-op once it is done; else we are being cancelled ourselves (shutdown)
            await asyncio.wait({work, watcher})
        if not watcher.cancelled() and watcher.exception() is not None:
            log.error("watching for a disconnect failed", exc_info=watcher.exception())
        request_id = scope.get("state", {}).get("request_id")
        if cancelled_for is None:
            error = None if work.cancelled() else work.exception()
            if error is None:
                return
            timeout = statement_timeout_error(error)
            if timeout is None or response.started:
                raise error
            await send_json_error(send, TIMEOUT_STATUS, timeout.message, ErrorCode.TIMEOUT, request_id)
            return
        if not work.cancelled() and work.exception() is not None:
            log.error("request %s: failed while being cancelled", request_id, exc_info=work.exception())
        elapsed = time.monotonic() - started
        if cancelled_for == "disconnect":
            log.info("request %s: client disconnected after %.2f s; its work was cancelled", request_id, elapsed)
        elif not response.started:
            log.warning("request %s: out of its %g s budget; its work was cancelled", request_id, self.seconds)
            await send_json_error(send, TIMEOUT_STATUS, _timeout_message(self.seconds), ErrorCode.TIMEOUT, request_id)

    async def _supervise(
        self,
        work: asyncio.Task[None],
        watcher: asyncio.Task[None],
        client_gone: asyncio.Event,
        response: _ResponseWatch,
    ) -> str | None:
        """Waits for the work; cancels it and says why ("timeout", "disconnect") when it must stop early.

        Once the response is complete the work only cleans up (closing its session): it is left
        to finish, whatever the clock or the client do (servers report a disconnect then anyway)."""
        deadline = time.monotonic() + self.seconds
        waiting_for = {work, watcher}
        while not work.done():
            if response.complete:
                await asyncio.wait({work})
                break
            if client_gone.is_set():
                work.cancel()
                await asyncio.wait({work})
                return "disconnect"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                work.cancel()
                await asyncio.wait({work})
                return "timeout"
            await asyncio.wait(waiting_for, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            if watcher.done():
                waiting_for.discard(watcher)
        return None


def _timeout_message(seconds: float) -> str:
    return (
        f"The request ran out of its time budget ({seconds:g} s) and was cancelled; changes it had not "
        "committed were rolled back. Ask for less (fewer items per page, narrower filters)."
    )


async def _read_body(receive: Receive) -> Message | None:
    """The request body as one `http.request` message, or None when the client disconnected."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}


async def _wait_for_disconnect(receive: Receive, client_gone: asyncio.Event) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    client_gone.set()
