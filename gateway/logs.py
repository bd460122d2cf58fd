"""Log lines: text or one JSON object a line (`LABELGATE_LOG_FORMAT`), each carrying the id of the
request it was logged for, and the access line written once a request is answered.

The request id lives in a context variable (`request_id_var`) that `RequestIdMiddleware` sets for the
length of the request; tasks the request starts copy it. `RequestIdFilter`, on the handler, writes it
into every record, whatever logger (ours, SQLAlchemy's, uvicorn's error log) made it: lines logged
outside a request (startup, the background storage retries) carry `-`.

uvicorn's own access log does not know the request id, so `labelgate serve` turns it off and the
gateway writes its own access line (`log_access`, logger `labelgate.access`): method, path, status,
duration, request id and GraphQL operation name.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

request_id_var: ContextVar[str] = ContextVar("labelgate_request_id", default="-")

access_log = logging.getLogger("labelgate.access")

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s]: %(message)s"
# The fields of an access line, given to `log_access` and written as JSON fields (text: in the message).
ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "operation")


class RequestIdFilter(logging.Filter):
    """Sets `record.request_id` to the id of the request being served (`-` outside any request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id, the access
    fields of an access line, and the traceback as `exception` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record is written, not the one it was made with: a
    process that swaps stderr (pytest's capture, a daemonizing wrapper) would otherwise leave it
    writing to a closed stream."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass  # StreamHandler.__init__ sets it; stderr is looked up on every write instead


def configure_logging(level: str = "info", log_format: LogFormat = "text") -> logging.Handler:
    """Logs to stderr in `log_format`, every record with its request id. Returns the handler."""
    handler = StderrHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper()))
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl PostgresqlImpl." & co.
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request of `import` / `export`
    return handler


def take_over_uvicorn_logging(log_format: LogFormat, access_log: bool) -> None:
    """For an app uvicorn imports itself (`app_from_env`): our format and request ids for every line,
    uvicorn's too (its loggers hand their lines to ours), and no second access line when ours is on."""
    configure_logging(logging.getLevelName(logging.getLogger("uvicorn.error").getEffectiveLevel()), log_format)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        for handler in list(uvicorn_logger.handlers):
            uvicorn_logger.removeHandler(handler)
        uvicorn_logger.propagate = True
    if access_log:
        logging.getLogger("uvicorn.access").disabled = True


def log_access(method: str, path: str, status: int, duration_s: float, operation: str | None) -> None:
    """The access line of an answered request (at INFO, so `--log-level warning` drops it too)."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    duration_ms = round(duration_s * 1000, 2)
    access_log.info(
        '"%s %s" %d %.2f ms%s',
        method,
        path,
        status,
        duration_ms,
        f" {operation}" if operation else "",
        extra={"method": method, "path": path, "status": status, "duration_ms": duration_ms, "operation": operation},
    )
