"""The pgbench peer that runs the intake's own inserts (issue 4: "pgbench running the same
inserts"): the statements a batch of API intakes sends PostgreSQL, recorded from the real intake
path in this process and written out as a pgbench script, one batch per transaction.

    python -m bench.appeals.intake_peer OUT.sql [BATCH [LANE]]   # DATABASE_URL set, migrated

``BATCH`` intakes are registered through ``intake_prepare`` and ``intake_register_batch`` (one
batch, as the group committer registers the requests it gathered) while every statement is
recorded. Its two writing statements — the keys' claim (idempotency keys, appeal ids and numbers
in one ``INSERT … RETURNING``) and the write (the appeals, their events, the acknowledgements'
notification and outbox rows, the stored responses, the audit records appended to the hash
chain by ``qoldau_audit_append``) — become the script, their parameters inlined.

What must differ per transaction was marked before recording — the keys, the key ids, the
appeal ids and numbers, the acknowledgements' random Message-IDs — and is filled in by SQL: the
claim's keys by one ``replace`` of their prefix; the write's texts by one ``format`` each from
an array that the claim returns (``\\gset``), so the claim ends with one aggregate over its own
rows. (pgbench's own variables cannot go inside these texts: in its simple protocol it skips a
variable that follows a colon, as in ``"id":…``; in the extended one it rewrites every
``:name`` inside literals, times included.) Everything else — the contents, the JSON documents,
the audit texts — is the recorded batch's, byte for byte.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

# Marks of a recorded batch: intake i has key KEY_PREFIX + lane + "-" + i (4 digits), key id
# KEY_ID_MARK + i, appeal id APPEAL_ID_MARK + i and number NUMBER_MARK + i, each plus LANE × the
# lane (no other value has them; a database takes one recording per lane, 0-8, each followed by
# fewer than a million intakes of pgbench).
KEY_PREFIX = "pgbench-peer-key-"
KEY_ID_MARK = 91_000_000
APPEAL_ID_MARK = 81_000_000
NUMBER_MARK = 71_000_000
LANE = 1_000_000
MAX_BATCH = 99
BODY = {
    "content": "Здравствуйте! Как получить адресную справку? (pgbench peer {i})",
    "name": "Айгүл Серікқызы",
    "email": "peer{i}@example.kz",
    "language": "ru",
    "subject": "Справка",
}
_CLAIM_TAIL = (
    " SELECT id, client, key, request_hash, status_code, response, appeal_id, "
    "CASE WHEN status_code = 0 THEN nextval("
)
# Each transaction's keys: the client, a random number, the intake's place in the batch.
_KEY_PREFIX_SQL = "'pgb-' || :client_id::text || '-' || :k::text || '-'"
_MESSAGE_ID = re.compile(r"<([0-9a-f]{32})\.qoldau@")
# A literal as psycopg writes it: '…' (quotes doubled), or E'…' where it holds backslashes.
_LITERAL = re.compile(r"(?<![A-Za-z_])E?'(?:''|\\.|[^'\\])*'")


def record(batch: int, lane: int) -> list[tuple[str, Any]]:
    """Register ``batch`` intakes as one batch; their statements (sql with %s, params)."""
    from django.db import connection
    from django.test import override_settings
    from django.utils import translation

    from qoldau.accounts.services import api_key_authenticate, api_key_issue
    from qoldau.appeals import intake_write
    from qoldau.appeals.api import AppealIn, appeal_as_json
    from qoldau.appeals.intake import IntakeRequest, intake_prepare, intake_register_batch
    from qoldau.appeals.models import Appeal, IdempotencyKey
    from qoldau.appeals.numbering import number_sequence
    from qoldau.core import clock
    from qoldau.registry.models import Organisation

    organisation = Organisation.objects.create(kind="ucc", name_kk="pgbench", name_ru="pgbench")
    _key, raw = api_key_issue(
        organisation_id=organisation.id, name="pgbench peer", roles=["operator"], actor=None
    )
    actor = api_key_authenticate(raw)
    sequence = number_sequence(clock.local_date().year)
    key_id_mark, appeal_id_mark, number_mark = _marks(lane)
    with connection.cursor() as cursor:
        for table, mark in ((IdempotencyKey, key_id_mark), (Appeal, appeal_id_mark)):
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                [table._meta.db_table, mark - 1],
            )
        cursor.execute("SELECT setval(%s::regclass, %s)", [sequence, number_mark - 1])

    statements: list[tuple[str, Any]] = []
    claim = intake_write._execute

    def recorded_claim(sql: str, params: list[Any]) -> list[Any]:
        statements.append((sql, list(params)))
        return claim(sql, params)

    def recorder(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, params))
        return execute(sql, params, many, context)

    intake_write._execute = recorded_claim
    try:
        with (
            override_settings(APPEALS_INTAKE_GROUP_COMMIT=False),
            translation.override("ru"),
            connection.execute_wrapper(recorder),
        ):
            requests = []
            for i in range(batch):
                body = {name: text.format(i=i) for name, text in BODY.items()}
                prepared = intake_prepare(
                    actor=actor,
                    data=AppealIn.model_validate(body).model_dump(),
                    key=f"{KEY_PREFIX}{lane}-{i:04d}",
                    render=appeal_as_json,
                )
                if not isinstance(prepared, IntakeRequest):
                    raise RuntimeError(f"intake {i} was not accepted: {prepared!r}")
                requests.append(prepared)
            statements.clear()  # from here on, only the registration's statements
            outcomes = intake_register_batch(requests)
    finally:
        intake_write._execute = claim
    failed = [o for o in outcomes if isinstance(o, Exception) or o.status != 201]
    if failed:
        raise RuntimeError(f"the recorded batch did not register: {failed[:3]}")
    # The marks hold only if the claim handed out ids and numbers from the marks on, in the
    # keys' order (one transaction alone on the sequences).
    claimed = IdempotencyKey.objects.filter(key__startswith=f"{KEY_PREFIX}{lane}-")
    if claimed.count() != batch:
        raise RuntimeError(f"{claimed.count()} keys claimed for a batch of {batch}")
    for i, (key_id, appeal_id, number) in enumerate(
        claimed.order_by("key").values_list("id", "appeal_id", "appeal__number")
    ):
        if (key_id, appeal_id) != (key_id_mark + i, appeal_id_mark + i) or not str(number).endswith(
            str(number_mark + i)
        ):
            raise RuntimeError(f"intake {i} is not the marked one: {key_id} {appeal_id} {number}")
    return statements


def _marks(lane: int) -> tuple[int, int, int]:
    return KEY_ID_MARK + lane * LANE, APPEAL_ID_MARK + lane * LANE, NUMBER_MARK + lane * LANE


def _claim(sql: str, lane: int) -> str:
    """The claim, ending with one row: the texts the write's ``format`` calls take, in order
    (key ids, appeal ids, numbers, Message-ID hashes: one per intake each, by key)."""
    if sql.count(_CLAIM_TAIL) != 1:
        raise RuntimeError("the claim does not end as expected")
    head, tail = sql.split(_CLAIM_TAIL)
    if not tail.endswith(" END FROM k"):
        raise RuntimeError("the claim does not end as expected")
    tail = tail.removesuffix(" END FROM k") + " END AS number FROM k"
    prefix = f"{KEY_PREFIX}{lane}-"
    head = _LITERAL.sub(
        lambda found: (
            f"replace({found.group(0)}, '{prefix}', {_KEY_PREFIX_SQL})"
            if prefix in found.group(0)
            else found.group(0)
        ),
        head,
    )
    texts = " || ".join(
        f"array_agg({column} ORDER BY key)"
        for column in ("id::text", "appeal_id::text", "number::text", "md5(appeal_id::text)")
    )
    return f"{head}, c AS ({_CLAIM_TAIL.strip()}{tail}) SELECT {texts} AS args FROM c"


def _write(sql: str, batch: int, lane: int) -> str:
    """The write, each literal with a mark made a ``format`` over the claim's texts."""
    message_ids = _MESSAGE_ID.findall(sql)
    if len(set(message_ids)) != batch:
        raise RuntimeError(f"expected {batch} Message-IDs in the write, found {len(message_ids)}")
    key_id_mark, appeal_id_mark, number_mark = _marks(lane)
    marks: dict[str, int] = {}  # mark -> position in the claim's texts (1-based)
    for i in range(batch):
        marks[str(key_id_mark + i)] = 1 + i
        marks[str(appeal_id_mark + i)] = 1 + batch + i
        marks[str(number_mark + i)] = 1 + 2 * batch + i
    for i, message_id in enumerate(sorted(set(message_ids), key=message_ids.index)):
        marks[message_id] = 1 + 3 * batch + i
    pattern = re.compile("|".join(re.escape(mark) for mark in sorted(marks, key=len, reverse=True)))
    prefix = f"{KEY_PREFIX}{lane}-"

    def vary(found: re.Match[str]) -> str:
        literal = found.group(0)
        if not pattern.search(literal) and prefix not in literal:
            return literal
        text = pattern.sub(lambda m: f"%{marks[m.group(0)]}$s", literal.replace("%", "%%"))
        if prefix in text:
            text = f"replace({text}, '{prefix}', {_KEY_PREFIX_SQL})"
        return f"format({text}, VARIADIC ':p_args'::text[])"

    varied = _LITERAL.sub(vary, sql)
    if any(mark in _LITERAL.sub("", varied) for mark in marks):
        raise RuntimeError("a marked value lies outside the statement's literals")
    return varied


def script(statements: list[tuple[str, Any]], batch: int, lane: int) -> str:
    """The pgbench script of the writing statements, one batch per transaction."""
    from django.db import connection

    writes = [(sql, params) for sql, params in statements if "INSERT INTO" in sql]
    if len(writes) != 2:
        raise RuntimeError(f"expected the claim and the write, got {len(writes)} inserts")
    compose = connection.ops.compose_sql  # type: ignore[attr-defined]  # PostgreSQL's
    claim, write = (compose(sql, params) for sql, params in writes)
    return (
        "\\set k random(1, 1000000000000000)\n"
        "BEGIN;\n"
        f"{_claim(claim, lane)} \\gset p_\n"
        f"{_write(write, batch, lane)};\n"
        "COMMIT;\n"
    )


def main() -> None:
    import django

    django.setup()
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    lane = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    if not 1 <= batch <= MAX_BATCH or not 0 <= lane <= 8:
        raise SystemExit(f"a batch holds 1 to {MAX_BATCH} intakes; the lane is 0 to 8")
    statements = record(batch, lane)
    text = script(statements, batch, lane)
    Path(sys.argv[1]).write_text(text, encoding="utf-8")
    print(f"a batch of {batch}: {len(statements)} statements recorded, {len(text)} characters")


if __name__ == "__main__":
    main()
