"""On PostgreSQL, ``qoldau_audit_append(chain, at, rows)`` appends events to a chain in one call.

The caller sends each event's canonical text cut around the two values only the chain's head
knows (``hashing.canonical_parts``); the function locks the head, numbers the events, hashes
each onto the previous (SHA-256 of the same UTF-8 text ``event_hash`` hashes), inserts them and
moves the head, all inside the caller's transaction. A batch of the API intake then writes its
audit records in the statement that writes its appeals: no round trip for the head, and the
head stays locked only from that statement to the commit. ``qoldau audit verify`` recomputes
every hash in Python, so any disagreement between the two would show at once.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION qoldau_audit_append(p_chain text, p_at timestamptz, p_rows json)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_seq bigint;
    v_first bigint;
    v_prev text;
    v_prevs text[] := '{}';
    v_hashes text[] := '{}';
    r record;
BEGIN
    SELECT last_seq, last_hash INTO v_seq, v_prev
        FROM audit_auditchain WHERE name = p_chain FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO audit_auditchain (name, last_seq, last_hash) VALUES (p_chain, 0, '')
            ON CONFLICT DO NOTHING;
        SELECT last_seq, last_hash INTO v_seq, v_prev
            FROM audit_auditchain WHERE name = p_chain FOR UPDATE;
    END IF;
    IF v_prev = '' THEN
        v_prev := repeat('0', 64);
    END IF;
    v_first := v_seq;
    FOR r IN SELECT x.head, x.mid, x.tail
             FROM json_to_recordset(p_rows) AS x(head text, mid text, tail text) LOOP
        v_seq := v_seq + 1;
        v_prevs := v_prevs || v_prev;
        v_prev := encode(sha256(convert_to(
            r.head || v_prev || r.mid || v_seq::text || r.tail, 'UTF8')), 'hex');
        v_hashes := v_hashes || v_prev;
    END LOOP;
    INSERT INTO audit_auditevent (chain, seq, at, actor_user_id, actor_label, action,
                                  target_type, target_id, changes, request_id, prev_hash, hash)
    SELECT p_chain, v_first + x.n, p_at, x.actor_user_id, x.actor_label, x.action,
           x.target_type, x.target_id, x.changes, x.request_id, v_prevs[x.n], v_hashes[x.n]
    FROM ROWS FROM (json_to_recordset(p_rows) AS (
            actor_user_id bigint, actor_label varchar, action varchar, target_type varchar,
            target_id varchar, changes jsonb, request_id varchar))
         WITH ORDINALITY AS x(actor_user_id, actor_label, action, target_type, target_id,
                              changes, request_id, n);
    UPDATE audit_auditchain SET last_seq = v_seq, last_hash = v_prev WHERE name = p_chain;
    RETURN v_seq;
END
$$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS qoldau_audit_append(text, timestamptz, json)")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [migrations.RunPython(forwards, backwards)]
