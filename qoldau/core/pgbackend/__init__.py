"""Django's PostgreSQL backend, with savepoint rollbacks that keep psycopg's prepared
statements (``base.DatabaseWrapper``)."""
