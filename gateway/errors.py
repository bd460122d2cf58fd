"""Errors the API reports, each with its `extensions.code` (the list in DESIGN.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    LOCKED = "LOCKED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    TIMEOUT = "TIMEOUT"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    INTERNAL = "INTERNAL"


class GatewayError(Exception):
    """An error meant for the client: its message is shown as is, with `extensions.code`."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class Unauthenticated(GatewayError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(GatewayError):
    code = ErrorCode.FORBIDDEN


class NotFound(GatewayError):
    code = ErrorCode.NOT_FOUND


class BadUserInput(GatewayError):
    code = ErrorCode.BAD_USER_INPUT


class Conflict(GatewayError):
    code = ErrorCode.CONFLICT


class Locked(GatewayError):
    """The target is read-only for now (e.g. an archived project)."""

    code = ErrorCode.LOCKED


class PayloadTooLarge(GatewayError):
    code = ErrorCode.PAYLOAD_TOO_LARGE


class RateLimited(GatewayError):
    code = ErrorCode.RATE_LIMITED


class QueryTooComplex(GatewayError):
    """The document costs more than the limits allow; refused before execution."""

    code = ErrorCode.QUERY_TOO_COMPLEX


class Timeout(GatewayError):
    """The request ran out of its time budget; its work was cancelled."""

    code = ErrorCode.TIMEOUT


class ServiceUnavailable(GatewayError):
    """PostgreSQL or object storage cannot be reached right now; worth retrying later."""

    code = ErrorCode.SERVICE_UNAVAILABLE
