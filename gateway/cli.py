"""The `labelgate` command: serve, migrate, create-user, create-api-key, storage-backlog, metadata-columns,
import, export.

Configuration comes from `LABELGATE_*` environment variables (gateway.settings). With neither
LABELGATE_DATABASE_URL nor LABELGATE_S3_ENDPOINT, every command works on the embedded services
of the data directory (`--data-dir`, default LABELGATE_DATA_DIR or ./.labelgate).

Heavy modules are imported inside the commands, so `labelgate --help` stays quick.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from gateway.logs import configure_logging
from gateway.settings import Settings

log = logging.getLogger("labelgate")


class CliError(Exception):
    """Shown as `labelgate: error: <message>`, exit code 1."""


def _load_settings() -> Settings:
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        raise CliError(f"invalid LABELGATE_* setting:\n{exc}") from None


def _data_dir(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(args.data_dir) if args.data_dir is not None else settings.data_dir


# --- database access for the short commands -----------------------------------------------------


@contextlib.contextmanager
def _command_database(args: argparse.Namespace, settings: Settings, *, migrate: bool) -> Iterator[str]:
    """The database URL a short command works on.

    LABELGATE_DATABASE_URL if set; otherwise the embedded database of the data directory: that
    of the running `serve`, or PostgreSQL started for this command alone (and migrated first when
    ``migrate``, so that a fresh data directory works).
    """
    if settings.database_url:
        yield settings.database_url
        return
    if settings.s3_endpoint:
        raise CliError("LABELGATE_S3_ENDPOINT is set but LABELGATE_DATABASE_URL is not: set both, or neither")
    from gateway.embedded_run import embedded_database, prepare_data_dir

    with embedded_database(prepare_data_dir(_data_dir(args, settings))) as database:
        if migrate and database.started:
            from gateway.db.migrate import upgrade

            upgrade(database.url)
        yield database.url


def _run_async(fn: Callable[[Any], Any], database_url: str) -> Any:
    """Run ``fn(session)`` on a fresh event loop with a session on ``database_url``."""
    from gateway.bootstrap import database_session

    async def run() -> Any:
        async with database_session(database_url) as session:
            return await fn(session)

    return asyncio.run(run())


# --- commands -----------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.serve import ServeOptions, serve

    if not settings.embedded and not (settings.database_url and settings.s3_endpoint):
        missing = "LABELGATE_S3_ENDPOINT" if settings.database_url else "LABELGATE_DATABASE_URL"
        raise CliError(
            f"{missing} is not set: configure both LABELGATE_DATABASE_URL and LABELGATE_S3_ENDPOINT "
            "for external services, or neither for the embedded ones"
        )
    options = ServeOptions(
        host=args.host,
        port=args.port,
        data_dir=_data_dir(args, settings),
        migrate=args.migrate,
        admin_email=args.admin_email,
        access_log=args.access_log,
    )
    return serve(settings, options)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.db.migrate import upgrade

    with _command_database(args, settings, migrate=False) as url:
        upgrade(url, args.revision)
    log.info("database migrated to %s", args.revision)
    return 0


def cmd_create_user(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.bootstrap import create_user

    with _command_database(args, settings, migrate=True) as url:
        user = _run_async(
            lambda session: create_user(
                session,
                email=args.email,
                organization_name=args.organization,
                organization_id=args.organization_id,
                is_org_admin=args.admin,
                firstname=args.firstname,
                lastname=args.lastname,
                key_days=args.key_days,
            ),
            url,
        )
    log.info(
        "created %s %s in %s organization %r (id %s); the API key is shown only once",
        "organization admin" if user.is_org_admin else "user",
        user.email,
        "new" if user.organization_created else "existing",
        user.organization_name,
        user.organization_id,
    )
    print(f"API key: {user.api_key}", flush=True)
    return 0


def cmd_create_api_key(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.bootstrap import create_api_key

    with _command_database(args, settings, migrate=True) as url:
        key = _run_async(
            lambda session: create_api_key(session, email=args.email, key_days=args.key_days, name=args.name), url
        )
    print(f"API key: {key}", flush=True)
    return 0


def cmd_storage_backlog(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.storage_outbox import storage_backlog

    with _command_database(args, settings, migrate=False) as url:
        backlog = _run_async(lambda session: storage_backlog(session.execute), url)
    print(f"objects awaiting removal: {backlog.count}", flush=True)
    if backlog.oldest is not None:
        age = int(backlog.oldest_age().total_seconds())
        print(f"oldest queued: {backlog.oldest.isoformat(timespec='seconds')} ({age} s ago)", flush=True)
    return 0


def cmd_metadata_columns(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.db.engine import make_engine
    from gateway.db.metadata_columns import add_column, drop_column, list_columns

    async def run(url: str) -> int:
        engine = make_engine(url, pgbouncer=settings.database_pgbouncer)
        try:
            if args.action == "add":
                for key in args.keys:
                    began = time.perf_counter()
                    column = await add_column(engine, key)
                    print(
                        f"indexed {key!r} as asset.{column.column} in {time.perf_counter() - began:.1f} s", flush=True
                    )
            elif args.action == "drop":
                for key in args.keys:
                    dropped = await drop_column(engine, key, grace_seconds=args.grace_seconds)
                    print(f"dropped the column of {key!r}" if dropped else f"{key!r} is not indexed", flush=True)
            for column in await list_columns(engine):
                state = " (retiring)" if column.retiring else ""
                print(f"{column.key}\tasset.{column.column}{state}", flush=True)
        finally:
            await engine.dispose()
        return 0

    if args.action != "list" and not args.keys:
        raise CliError(f"metadata-columns {args.action} needs at least one KEY")
    with _command_database(args, settings, migrate=True) as url:
        return asyncio.run(run(url))


def _api_key(args: argparse.Namespace) -> str:
    import os

    key = args.key or os.environ.get("LABELGATE_API_KEY")
    if not key:
        raise CliError("no API key: pass --key or set LABELGATE_API_KEY")
    return key


def _ignore_late_interrupts() -> None:
    """The run is over (its own Ctrl-C handling is done): another Ctrl-C while the summary is printed
    and the process winds down must not kill it by SIGINT instead of its exit code."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.transfer.importer import ImportOptions, run_import

    options = ImportOptions(
        url=args.url,
        key=_api_key(args),
        project_id=args.project,
        source=Path(args.source),
        batch=args.batch,
        parallel=args.parallel,
        images=Path(args.images) if args.images else None,
        create_interface=args.create_interface,
    )
    summary = asyncio.run(run_import(options))
    _ignore_late_interrupts()
    print(summary.line("imported"), flush=True)
    return summary.exit_code


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.transfer.exporter import ExportOptions, run_export

    options = ExportOptions(
        url=args.url, key=_api_key(args), project_id=args.project, format=args.format, out=Path(args.out)
    )
    summary = asyncio.run(run_export(options))
    _ignore_late_interrupts()
    print(summary.line("exported"), flush=True)
    return summary.exit_code


# --- parser -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        help="data directory of the embedded services (default: LABELGATE_DATA_DIR or ./.labelgate)",
    )
    common.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])

    parser = argparse.ArgumentParser(
        prog="labelgate",
        description="Self-hostable GraphQL gateway for ML training data. Settings: LABELGATE_* environment "
        "variables; with no LABELGATE_DATABASE_URL and no LABELGATE_S3_ENDPOINT, embedded PostgreSQL and "
        "S3 run under the data directory.",
    )
    parser.add_argument("--version", action="version", version=f"labelgate {package_version('labelgate')}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="run the gateway (starting embedded services if none are configured)",
        description="Run the HTTP server. Migrates the database on start (unless --no-migrate); on a database "
        "without organizations creates one, its admin and an API key, printed once as `API key: ...`.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080; 0 = any free port)")
    serve.add_argument("--no-migrate", dest="migrate", action="store_false", help="don't migrate on start")
    serve.add_argument(
        "--admin-email", default="admin@labelgate.local", help="email of the admin created on the first start"
    )
    serve.add_argument("--no-access-log", dest="access_log", action="store_false", help="don't log each request")
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser(
        "migrate",
        parents=[common],
        help="migrate the database to the latest schema",
        description="Migrate LABELGATE_DATABASE_URL, or else the embedded database of the data directory.",
    )
    migrate.add_argument("--revision", default="head", help="target Alembic revision (default head)")
    migrate.set_defaults(handler=cmd_migrate)

    create_user = commands.add_parser(
        "create-user",
        parents=[common],
        help="create a user and print an API key for it",
        description="Create a user with an API key (printed once as `API key: ...`). The organization is "
        "given by name (created if missing) or id; with neither, the only existing one is used.",
    )
    create_user.add_argument("--email", required=True)
    org = create_user.add_mutually_exclusive_group()
    org.add_argument("--organization", metavar="NAME", help="organization name (created if missing)")
    org.add_argument("--organization-id", metavar="ID", help="id of an existing organization")
    create_user.add_argument("--admin", action="store_true", help="make the user an organization admin")
    create_user.add_argument("--firstname")
    create_user.add_argument("--lastname")
    create_user.add_argument("--key-days", type=float, metavar="N", help="API key lifetime in days (default 3650)")
    create_user.set_defaults(handler=cmd_create_user)

    create_key = commands.add_parser(
        "create-api-key",
        parents=[common],
        help="print a new API key for an existing user",
        description="Create another API key for an existing user (printed once as `API key: ...`).",
    )
    create_key.add_argument("--email", required=True)
    create_key.add_argument("--key-days", type=float, metavar="N", help="API key lifetime in days (default 3650)")
    create_key.add_argument("--name", help="a label for the key")
    create_key.set_defaults(handler=cmd_create_api_key)

    backlog = commands.add_parser(
        "storage-backlog",
        parents=[common],
        help="print how many stored objects of deleted assets still await removal",
        description="Stored objects of deleted assets that S3 has not removed yet (it was unavailable): how "
        "many, and when the oldest was queued. The gateway retries them in the background until they are gone.",
    )
    backlog.set_defaults(handler=cmd_storage_backlog)

    metadata_columns = commands.add_parser(
        "metadata-columns",
        parents=[common],
        help="list, add or drop indexed metadata keys (generated columns that make filters and stats fast)",
        description="Copy hot metadata keys (dotted for nested ones) into generated, btree-indexed columns of "
        "the asset table: equality, ranges, sorting and assetStats on those keys then read the index instead "
        "of every asset's JSON. `add` rewrites the asset table once under an exclusive lock (about 12 s per "
        "million assets): run it in a maintenance window. Running gateways pick changes up within seconds. "
        "Prints the indexed keys.",
    )
    metadata_columns.add_argument("action", choices=["list", "add", "drop"])
    metadata_columns.add_argument("keys", nargs="*", metavar="KEY", help="metadata keys, e.g. weather camera.id")
    metadata_columns.add_argument(
        "--grace-seconds",
        type=float,
        default=10.0,
        help="drop: how long to wait after retiring a column, so running gateways stop using it (default 10)",
    )
    metadata_columns.set_defaults(handler=cmd_metadata_columns)

    api = argparse.ArgumentParser(add_help=False)
    api.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    api.add_argument("--project", required=True, metavar="ID", help="the project's id")
    api.add_argument(
        "--url", default="http://127.0.0.1:8080", help="the gateway's base URL (default http://127.0.0.1:8080)"
    )
    api.add_argument("--key", help="API key (default: LABELGATE_API_KEY)")

    import_ = commands.add_parser(
        "import",
        parents=[api],
        help="import a folder, a CSV/JSONL manifest or a COCO file into a project, through the API",
        description="Upload local files through signed URLs and append them as assets in batches (URLs are "
        "appended as they are); COCO annotations become labels. External ids already in the project are "
        "skipped, so a re-run after an interruption finishes the job. Ctrl-C stops after the batches in flight "
        "(exit 130). Prints a summary; exits 1 when something failed.",
    )
    import_.add_argument(
        "source",
        metavar="SOURCE",
        help="a folder (external id = relative path), a .csv or .jsonl manifest, or a COCO .json",
    )
    import_.add_argument("--batch", type=int, default=100, help="assets per appendManyAssets call (default 100)")
    import_.add_argument("--parallel", type=int, default=8, help="uploads at once (default 8)")
    import_.add_argument("--images", metavar="DIR", help="COCO: folder of the image files (default: the COCO file's)")
    import_.add_argument(
        "--create-interface",
        action="store_true",
        help="COCO: add an OBJECT_DETECTION job (or its missing categories) to the project's jsonInterface",
    )
    import_.set_defaults(handler=cmd_import)

    export = commands.add_parser(
        "export",
        parents=[api],
        help="export a project's assets and labels to JSONL or COCO, through the API",
        description="Page through the project's assets with their labels. jsonl: one asset a line with every "
        "label; coco: images (file_name = external id) and the objects of each asset's latest DEFAULT or REVIEW "
        "label in the project's OBJECT_DETECTION job.",
    )
    export.add_argument("--format", choices=["jsonl", "coco"], default="jsonl")
    export.add_argument("out", metavar="OUT", help="file to write (replaced once the export is complete)")
    export.set_defaults(handler=cmd_export)
    return parser


def _describe_database_error(exc: Exception) -> str | None:
    """A one-line explanation for database failures an operator can fix, else None."""
    from sqlalchemy.exc import DBAPIError

    text = str(exc)
    if isinstance(exc, DBAPIError) and "does not exist" in text and "relation" in text:
        return "the database has no labelgate tables yet: run `labelgate migrate` first"
    if isinstance(exc, OSError | DBAPIError):
        return f"database error: {text.splitlines()[0] if text else type(exc).__name__}"
    return None


_OPERATOR_ERRORS = (
    ("gateway.bootstrap", "BootstrapError"),
    ("gateway.embedded_run", "EmbeddedError"),
    ("gateway.serve", "ServeError"),
    ("gateway.transfer.client", "TransferError"),
)


def _operator_error_types() -> tuple[type[BaseException], ...]:
    """Errors printed without a traceback. Looked up in sys.modules rather than imported, so that
    `main` doesn't pay for heavy imports up front: an error of such a type implies its module is loaded."""
    found = [getattr(sys.modules[module], name) for module, name in _OPERATOR_ERRORS if module in sys.modules]
    return (CliError, *found)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _load_settings()
        configure_logging(args.log_level, settings.log_format)
        return args.handler(args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        message = str(exc) if isinstance(exc, _operator_error_types()) else _describe_database_error(exc)
        if message is None:
            raise
        print(f"labelgate: error: {message}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
