"""Requests refused at the HTTP level, answered as GraphQL-shaped JSON with a fitting status.

Strawberry answers a request it cannot read (a body that is not JSON, a batch, a mutation over
GET) with plain text, crashes on some (a JSON body that is not an object, one nested deeper than
Python's recursion limit), and Starlette answers unknown paths and methods with plain text too.
Here every such answer is `application/json` `{"errors": [{"message", "extensions": {"code"}}]}`:

| what | status | code |
|---|---|---|
| body not JSON / nested too deeply / not an object, batch, bad `query`/`variables`/... | 400 | BAD_USER_INPUT |
| body not `application/json` | 415 | BAD_USER_INPUT |
| mutation over GET, method a path does not take | 405 (+ `Allow`) | BAD_USER_INPUT |
| unknown path | 404 | NOT_FOUND |
| database unreachable (also when met during execution) | 503 (+ `Retry-After`) | SERVICE_UNAVAILABLE |
| anything unexpected | 500 | INTERNAL (masked, logged with the request id) |
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from cross_web import AsyncHTTPRequestAdapter
from cross_web import HTTPException as StrawberryHTTPException
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from gateway.errors import ErrorCode, GatewayError
from gateway.metrics import note_error

log = logging.getLogger("labelgate")

# What a client waits before retrying a 503: PostgreSQL restarts in seconds; a longer outage
# costs each retry one refused connection.
RETRY_AFTER_SECONDS = 5

# Codes that change the HTTP status of a GraphQL answer carrying them (it is 200 otherwise).
_STATUS_BY_CODE: dict[str, int] = {ErrorCode.SERVICE_UNAVAILABLE.value: 503}
_RETRY_AFTER_BY_STATUS: dict[int, int] = {503: RETRY_AFTER_SECONDS}

_EXAMPLE = '{"query": "query($first: PageSize!) { projects(first: $first) { id } }", "variables": {"first": 10}}'


class RequestRejected(Exception):
    """A request refused before any GraphQL work: its status, message, code and extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        code: ErrorCode = ErrorCode.BAD_USER_INPUT,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})

    def response(self, request_id: str | None) -> JSONResponse:
        return error_response(self.status, self.message, self.code, request_id, self.headers)


def error_document(message: str, code: ErrorCode, request_id: str | None) -> dict[str, Any]:
    """`{"errors": [...]}` with one coded error; no `data`, as nothing was executed."""
    note_error(code.value)
    extensions: dict[str, Any] = {"code": code.value}
    if request_id:
        extensions["requestId"] = request_id
    return {"errors": [{"message": message, "extensions": extensions}]}


def error_response(
    status: int, message: str, code: ErrorCode, request_id: str | None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    headers = dict(headers or {})
    if status in _RETRY_AFTER_BY_STATUS:
        headers.setdefault("Retry-After", str(_RETRY_AFTER_BY_STATUS[status]))
    return JSONResponse(error_document(message, code, request_id), status_code=status, headers=headers)


def request_id_of(scope: Mapping[str, Any]) -> str | None:
    return scope.get("state", {}).get("request_id")


# --- reading a GraphQL request --------------------------------------------------------------------


def decode_json(data: str | bytes, what: str = "The request body") -> Any:
    """Parsed JSON, or a 400 saying why not (also for nesting deeper than Python can parse)."""
    try:
        return json.loads(data)
    except RecursionError:
        raise RequestRejected(400, f"{what} is nested too deeply to be parsed.") from None
    except ValueError as exc:  # JSONDecodeError, and UnicodeDecodeError for bytes that are not UTF-8
        raise RequestRejected(400, f"{what} is not valid JSON ({exc}).") from None


async def read_graphql_request(request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
    """The one operation a request carries: a JSON body for POST, the query string for GET."""
    if request.method == "GET":
        params = dict(request.query_params)
        for name in ("variables", "extensions"):
            if name in params:  # JSON text; left empty, it is absent
                params[name] = decode_json(params[name], f"The `{name}` parameter") if params[name] else None
        return graphql_request(params)
    content_type, _ = parse_content_type(request.content_type or "")
    if "application/json" not in content_type:
        raise RequestRejected(415, f"Send the request as JSON (Content-Type: application/json), e.g. {_EXAMPLE}")
    return graphql_request(decode_json(await request.get_body()))


def graphql_request(payload: Any) -> GraphQLRequestData:
    """Checks the shape of a GraphQL request: `query` a string, `variables` and `extensions` objects
    (or null), `operationName` a string (or null)."""
    if isinstance(payload, list):
        raise RequestRejected(400, "Batched requests are not supported: send one operation per request.")
    if not isinstance(payload, dict):
        raise RequestRejected(400, f"The request must be a JSON object, e.g. {_EXAMPLE}")
    query = payload.get("query")
    if query is None:
        raise RequestRejected(400, f"The request has no `query`, e.g. {_EXAMPLE}")
    if not isinstance(query, str):
        raise RequestRejected(400, "`query` must be a string holding the GraphQL document.")
    if not query.strip():
        raise RequestRejected(400, "`query` is empty.")
    for name in ("variables", "extensions"):
        if not isinstance(payload.get(name), dict | None):
            raise RequestRejected(400, f"`{name}` must be a JSON object (or null).")
    operation_name = payload.get("operationName")
    if not isinstance(operation_name, str | None):
        raise RequestRejected(400, "`operationName` must be a string (or null).")
    return GraphQLRequestData(
        query=query,
        variables=payload.get("variables"),
        operation_name=operation_name,
        extensions=payload.get("extensions"),
    )


def rejection_for(exc: Exception) -> RequestRejected | None:
    """The coded refusal for an exception the GraphQL view raised before executing, or None."""
    if isinstance(exc, RequestRejected):
        return exc
    if isinstance(exc, GatewayError) and exc.code.value in _STATUS_BY_CODE:  # e.g. auth without a database
        return RequestRejected(_STATUS_BY_CODE[exc.code.value], exc.message, exc.code)
    if not isinstance(exc, StrawberryHTTPException):
        return None
    cause = exc.__cause__
    if isinstance(cause, InvalidOperationTypeError):
        return RequestRejected(
            405, "Mutations need POST: send this operation in a POST request.", headers={"Allow": "POST"}
        )
    if isinstance(cause, CannotGetOperationTypeError):
        message = (
            f"The document has no operation named '{cause.operation_name}'."
            if cause.operation_name
            else "The document must hold one operation, or name the one to run in `operationName`."
        )
        return RequestRejected(400, message)
    if isinstance(cause, MissingQueryError):
        return RequestRejected(400, "`query` is empty.")
    if exc.status_code == 405:
        return RequestRejected(405, "Send GraphQL requests with GET or POST.", headers={"Allow": "GET, POST"})
    return RequestRejected(exc.status_code, exc.reason)


def status_of_answer(errors: list[Any] | None) -> tuple[int, dict[str, str]] | None:
    """The status (and headers) of a GraphQL answer whose errors call for one other than 200: 503
    with `Retry-After` when the database was unreachable during execution."""
    codes = {(e.get("extensions") or {}).get("code") for e in errors or () if isinstance(e, dict)}
    for code, status in _STATUS_BY_CODE.items():
        if code in codes:
            retry_after = _RETRY_AFTER_BY_STATUS.get(status)
            return status, ({"Retry-After": str(retry_after)} if retry_after else {})
    return None


# --- Starlette's own refusals and crashes --------------------------------------------------------


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Unknown paths (404 NOT_FOUND) and methods a path does not take (405), as JSON."""
    assert isinstance(exc, StarletteHTTPException)
    request_id = request_id_of(request.scope)
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        message = f"No such path: {request.url.path}. GraphQL is served at /graphql and /api/label/v2/graphql."
        return error_response(404, message, ErrorCode.NOT_FOUND, request_id, headers)
    if exc.status_code == 405:
        allowed = headers.get("Allow", "")
        message = f"{request.method} is not allowed on {request.url.path} (allowed: {allowed})."
        return error_response(405, message, ErrorCode.BAD_USER_INPUT, request_id, headers)
    return error_response(exc.status_code, exc.detail, ErrorCode.BAD_USER_INPUT, request_id, headers)


async def unexpected_exception_handler(request: Request, exc: Exception) -> Response:
    """Any crash becomes a masked INTERNAL JSON error; Starlette logs the exception after this."""
    request_id = request_id_of(request.scope)
    headers = {"X-Request-Id": request_id} if request_id else {}
    message = f"Internal server error (request id {request_id})."
    return error_response(500, message, ErrorCode.INTERNAL, request_id, headers)


EXCEPTION_HANDLERS = {StarletteHTTPException: http_exception_handler, Exception: unexpected_exception_handler}
