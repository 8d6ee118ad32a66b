"""Django's PostgreSQL backend, with ``ROLLBACK TO SAVEPOINT`` sent below psycopg's statement
cache.

psycopg forgets every statement it prepared on a connection (and sends ``DEALLOCATE ALL``) when
it sees a command whose status is ``ROLLBACK`` that it has not run before — and Django names
each savepoint afresh, so every ``ROLLBACK TO SAVEPOINT`` is such a command. A duplicate
webhook caught by its unique index, a ``get_or_create`` race: any nested ``atomic`` that ends in
an exception threw away the connection's prepared statements, and the router's next ten or so
events on that connection paid for planning its statements again (2-16 ms instead of 1.2-2 ms;
ADR 0012). PostgreSQL keeps prepared statements across a rollback, so there is nothing to
forget: that command goes straight to libpq, outside psycopg's cache (creating and releasing a
savepoint do not touch the cache).

A whole transaction's ``ROLLBACK`` still goes through psycopg, which then forgets its
statements as before: a transaction that fails as a whole may have changed the schema.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base
from psycopg import errors, pq


class DatabaseWrapper(base.DatabaseWrapper):
    def _savepoint_rollback(self, sid: str) -> None:
        """``ROLLBACK TO SAVEPOINT`` as libpq's PQexec (a savepoint exists, so the transaction
        has begun: nothing of psycopg's is needed before it)."""
        self.ensure_connection()  # as Django's cursor() would (a no-op inside a transaction)
        raw: Any = self.connection
        with self.wrap_database_errors, raw.lock:
            result = raw.pgconn.exec_(self.ops.savepoint_rollback_sql(sid).encode())
            if result.status != pq.ExecStatus.COMMAND_OK:
                raise errors.error_from_result(result, encoding=raw.info.encoding)
