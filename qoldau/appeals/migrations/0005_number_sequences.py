"""On PostgreSQL, registration numbers come from one sequence per year (ADR 0007).

``qoldau_appeal_numbers(year, n)`` returns the next ``n`` numbers of ``year`` in one round trip,
without the row lock of the per-year counter (held until commit, it serialised every
registration). The sequences of 2016-2100 are made here, each starting after its year's counter,
so numbers already given out are never given again; a later year's is made on first use. SQLite
keeps the counter row: it runs one write transaction at a time anyway.
"""

from django.db import migrations

FIRST_YEAR, LAST_YEAR = 2016, 2100

FUNCTION = """
CREATE OR REPLACE FUNCTION qoldau_appeal_numbers(p_year integer, p_count integer)
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
DECLARE
    seq text := 'appeals_number_' || p_year;
BEGIN
    IF to_regclass(seq) IS NULL THEN
        BEGIN
            EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I START WITH %s', seq,
                coalesce((SELECT "last" FROM appeals_numbercounter WHERE "year" = p_year), 0) + 1);
        EXCEPTION WHEN duplicate_table OR unique_violation THEN
            NULL;  -- made by a concurrent transaction meanwhile
        END;
    END IF;
    RETURN QUERY SELECT nextval(seq::regclass) FROM generate_series(1, p_count);
END
$$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    counters = dict(apps.get_model("appeals", "NumberCounter").objects.values_list("year", "last"))
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        start = counters.get(year, 0) + 1
        schema_editor.execute(
            f"CREATE SEQUENCE IF NOT EXISTS appeals_number_{year} START WITH {start}", params=None
        )
    schema_editor.execute(FUNCTION, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP FUNCTION IF EXISTS qoldau_appeal_numbers(integer, integer)")
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS appeals_number_{year}")


class Migration(migrations.Migration):
    dependencies = [("appeals", "0004_appeal_rating")]

    operations = [migrations.RunPython(forwards, backwards)]
