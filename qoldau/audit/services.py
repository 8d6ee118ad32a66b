"""``audit_record``: the one way to write an audit event, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import connection, models, transaction

from qoldau.audit.hashing import (
    GENESIS,
    canonical_parts,
    event_hash,
    hashed_fields,
    normalise_changes,
)
from qoldau.audit.models import AuditChain, AuditEvent
from qoldau.core import clock
from qoldau.core.bulk import bulk_insert
from qoldau.core.logging import request_id_var

MAIN_CHAIN = "main"


def _actor_fields(actor: Any) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, "anonymous" if actor is not None else "system"
    prefix = getattr(actor, "prefix", None)
    if prefix is not None and not hasattr(actor, "get_username"):
        return None, f"api-key:{prefix}"
    return int(actor.pk), str(actor.get_username())


def _target_fields(target: models.Model | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    meta = target._meta
    return f"{meta.app_label}.{meta.model_name}", str(target.pk)


def _at_iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None,
    changes: dict[str, Any] | None = None,
    chain: str = MAIN_CHAIN,
) -> AuditEvent:
    """Append an event to ``chain``. Call it inside the use case's transaction: if the use case
    rolls back, so does its audit record."""
    with transaction.atomic():
        head = AuditChain.objects.select_for_update().filter(name=chain).first()
        if head is None:
            AuditChain.objects.get_or_create(name=chain)
            head = AuditChain.objects.select_for_update().get(name=chain)
        actor_user_id, actor_label = _actor_fields(actor)
        target_type, target_id = _target_fields(target)
        at = clock.now()
        seq = head.last_seq + 1
        prev_hash = head.last_hash or GENESIS
        normalised = normalise_changes(changes or {})
        request_id = request_id_var.get()
        request_id = "" if request_id == "-" else request_id
        digest = event_hash(
            hashed_fields(
                chain=chain,
                seq=seq,
                at_iso=_at_iso(at),
                actor_user_id=actor_user_id,
                actor_label=actor_label,
                action=action,
                target_type=target_type,
                target_id=target_id,
                changes=normalised,
                request_id=request_id,
                prev_hash=prev_hash,
            )
        )
        event = AuditEvent.objects.create(
            chain=chain,
            seq=seq,
            at=at,
            actor_user_id=actor_user_id,
            actor_label=actor_label,
            action=action,
            target_type=target_type,
            target_id=target_id,
            changes=normalised,
            request_id=request_id,
            prev_hash=prev_hash,
            hash=digest,
        )
        head.last_seq = seq
        head.last_hash = digest
        head.save(update_fields=["last_seq", "last_hash"])
    return event


@dataclass(frozen=True)
class AuditEntry:
    """One event for ``audit_record_many``; ``request_id`` None means the current request's."""

    actor: Any
    action: str
    target: models.Model | None
    changes: dict[str, Any] | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class _Fields:
    """An entry's stored fields, before the chain numbers and hashes it."""

    actor_user_id: int | None
    actor_label: str
    action: str
    target_type: str
    target_id: str
    changes: Any
    request_id: str

    def stored(self) -> dict[str, Any]:
        """The fields as the event stores them (and the canonical text names them)."""
        return {
            "actor_user_id": self.actor_user_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "changes": self.changes,
            "request_id": self.request_id,
        }


def _fields(entries: Sequence[AuditEntry]) -> list[_Fields]:
    current = request_id_var.get()
    fields: list[_Fields] = []
    for entry in entries:
        actor_user_id, actor_label = _actor_fields(entry.actor)
        target_type, target_id = _target_fields(entry.target)
        request_id = current if entry.request_id is None else entry.request_id
        fields.append(
            _Fields(
                actor_user_id=actor_user_id,
                actor_label=actor_label,
                action=entry.action,
                target_type=target_type,
                target_id=target_id,
                changes=normalise_changes(entry.changes or {}),
                request_id="" if request_id == "-" else request_id,
            )
        )
    return fields


def audit_append_statement(
    entries: Sequence[AuditEntry], *, chain: str = MAIN_CHAIN
) -> tuple[str, list[Any]]:
    """PostgreSQL: one ``SELECT`` that appends ``entries`` to ``chain`` in order, for a caller
    that sends it inside a statement of its own (a group commit's). The database locks the
    head, numbers and hashes the events (migration 0003); the chain and its hashes are the same
    as ``audit_record``'s, so ``qoldau audit verify`` walks it unchanged."""
    at = clock.now()
    at_iso = _at_iso(at)
    rows: list[dict[str, Any]] = []
    for f in _fields(entries):
        stored = f.stored()
        head, mid, tail = canonical_parts(chain=chain, at_iso=at_iso, **stored)
        rows.append(stored | {"head": head, "mid": mid, "tail": tail})
    # orjson only carries the texts; what is hashed was written by ``canonical_parts``.
    document = orjson.dumps(rows).decode()
    return "SELECT qoldau_audit_append(%s, %s, %s::json)", [chain, at_iso, document]


def audit_record_many(entries: Sequence[AuditEntry], *, chain: str = MAIN_CHAIN) -> None:
    """Append several events to ``chain`` in order, locking its head once, inside the caller's
    transaction: the same chain and hashes as that many ``audit_record`` calls. PostgreSQL: one
    statement (``audit_append_statement``); SQLite: the head, one multi-row INSERT, one UPDATE."""
    if not entries:
        return
    if connection.vendor == "postgresql":
        sql, params = audit_append_statement(entries, chain=chain)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    with transaction.atomic(savepoint=False):  # no savepoint round trips: all or nothing
        last_seq, last_hash = _head_locked(chain)
        at = clock.now()
        at_iso = _at_iso(at)
        seq = last_seq
        prev_hash = last_hash or GENESIS
        events: list[AuditEvent] = []
        for f in _fields(entries):
            seq += 1
            stored = f.stored()
            digest = event_hash(
                hashed_fields(chain=chain, seq=seq, at_iso=at_iso, prev_hash=prev_hash, **stored)
            )
            events.append(
                AuditEvent(chain=chain, seq=seq, at=at, prev_hash=prev_hash, hash=digest, **stored)
            )
            prev_hash = digest
        bulk_insert(events, with_ids=False)
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE {_chain_table()} SET "last_seq" = %s, "last_hash" = %s WHERE "name" = %s',  # noqa: S608 (names from the model)
                [seq, prev_hash, chain],
            )


def _chain_table() -> str:
    return connection.ops.quote_name(AuditChain._meta.db_table)


def _head_locked(chain: str) -> tuple[int, str]:
    """The chain's head (last seq, last hash), locked until commit: one statement, not the
    ORM's query building, since every batch of the intake's group commit passes here."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f'SELECT "last_seq", "last_hash" FROM {_chain_table()} WHERE "name" = %s{lock}'  # noqa: S608 (names from the model)
    with connection.cursor() as cursor:
        cursor.execute(sql, [chain])
        row = cursor.fetchone()
        if row is None:
            AuditChain.objects.get_or_create(name=chain)
            cursor.execute(sql, [chain])
            row = cursor.fetchone()
    return int(row[0]), str(row[1])
