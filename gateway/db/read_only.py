"""Query operations run without a transaction: their statements go out on an AUTOCOMMIT connection, so
asyncpg sends no BEGIN before the first and no ROLLBACK after the last (two round trips a request).

The answers cannot change: at PostgreSQL's READ COMMITTED level every statement takes its own snapshot,
inside a transaction or not, and no query resolver writes, locks rows (FOR UPDATE), sets anything for
the transaction (SET LOCAL) or uses temporary tables; all of that is in mutations, which keep their
transaction (`resolvers/transactions.py`).

A request's session starts in an ordinary transaction (the safe default for anything that does not
come through `use_read_only`); `GatewayGraphQL.execute_single` switches it once it knows the document
is a query. A key lookup that ran before (a cold `AuthCache`) ended its transaction with a ROLLBACK.
"""

from __future__ import annotations

from graphql import OperationType, get_operation_ast
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.db.unavailable import database_unavailable, database_unavailable_error
from gateway.limits.document import parse_document
from gateway.settings import Settings

AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


def is_query(query: str | None, operation_name: str | None, settings: Settings) -> bool:
    """True when the document's operation is a query. The parse is the one `QueryLimits` makes
    (same cache, so it costs nothing more); a document it refuses, or cannot parse, is not a query
    here (nothing of it runs anyway)."""
    if not query or len(query) > settings.max_document_bytes:
        return False
    try:
        document = parse_document(query, settings.max_tokens, settings.max_depth)
    except Exception:
        return False
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation is OperationType.QUERY


async def use_read_only(db: AsyncSession) -> None:
    """Makes the session's next statements run on an AUTOCOMMIT connection (no BEGIN, no ROLLBACK);
    for the rest of the session's life (a request's session serves one operation)."""
    if db.info.get("read_only"):
        return
    try:
        if db.in_transaction():
            await db.rollback()  # it only read (the key lookup)
        await db.connection(execution_options=AUTOCOMMIT)
    except Exception as exc:
        if database_unavailable(exc):
            raise database_unavailable_error() from exc  # 503, as when the lookup itself cannot run
        raise
    db.info["read_only"] = True
