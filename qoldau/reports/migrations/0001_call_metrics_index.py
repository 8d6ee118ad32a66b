"""A covering index that serves the answer-time figures (call_metrics.py) from the index alone.

The reports own the reads they need: the call records' table belongs to telephony, which knows
nothing of reports, so this index lives here as plain SQL that both SQLite and PostgreSQL speak.
``test_index.py`` checks that it exists, so a later telephony migration that rebuilds the table
(SQLite remakes tables on some field changes and would drop an index it does not know) is caught.
"""

from django.db import migrations

INDEX = "reports_call_metrics_idx"
COLUMNS = "arrived_at, queue, language, abandoned, wait_seconds"


class Migration(migrations.Migration):
    dependencies = [("telephony", "0001_initial")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON telephony_callrecord ({COLUMNS})",
            f"DROP INDEX IF EXISTS {INDEX}",
            elidable=False,
        ),
    ]
