"""The API intake with ``Idempotency-Key`` and group commit (issue 4, ADR 0007, ADR 0011).

``appeal_register_idempotent`` registers once per (client, key), the way Stripe does: the same key
with the same body replays the first response; with another body it is refused naming the key.

Many requests arrive at once, and each registration would take the audit chain's head (and on
SQLite the year's number counter) and hold it until its commit's WAL flush. So a web process
hands its registrations to its *group committer* (``committer.py``), which registers everything
waiting in one transaction: on PostgreSQL two statements and one commit (one fsync) for the
batch (``intake_write.py``). Every request waits for that commit before it answers, so a 201
still means "committed". When a batch fails as a whole, each of its requests is registered
again on its own, in its own transaction, so one bad item neither loses nor poisons the others.

Inside a transaction (the tests' ``django_db``) or with ``APPEALS_INTAKE_GROUP_COMMIT`` off the
calling thread registers its request itself, through the same code (a batch of one).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from qoldau.appeals.committer import GroupCommitter
from qoldau.appeals.deadlines import reply_rule_code
from qoldau.appeals.inputs import AppealInput, clean_appeal_input
from qoldau.appeals.intake_write import (
    Claim,
    FreshRows,
    Response,
    claim_keys,
    new_appeal,
    write_fresh,
)
from qoldau.appeals.models import Appeal, IdempotencyKey
from qoldau.appeals.notify import NotificationDraft, notification_new_rows
from qoldau.appeals.numbering import number_sequence
from qoldau.appeals.services import _label, _user, attachment_add
from qoldau.audit.services import AuditEntry
from qoldau.core import clock
from qoldau.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from qoldau.core.logging import request_id_var
from qoldau.core.writer_turn import writer_turn
from qoldau.policy.selectors import Due, policy_due_cached

logger = logging.getLogger(__name__)

Render = Callable[[Appeal], dict[str, Any]]


@dataclass(frozen=True)
class IntakeRequest:
    """One cleaned request waiting to be registered."""

    actor: Any
    client: str
    key: str
    fingerprint: str
    cleaned: AppealInput
    render: Render
    language: str  # the request's language: the stored response is rendered in it
    request_id: str  # the request's id, kept in its audit record


@dataclass(frozen=True)
class IntakeResult:
    status: int
    body: dict[str, Any]
    replayed: bool


Outcome = IntakeResult | Exception


def request_fingerprint(data: dict[str, Any]) -> str:
    """A stable hash of a request body (keys sorted), to tell a retry from a different request."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _reused(key: str) -> Conflict:
    return Conflict(
        "idempotency_key_reused",
        _("The Idempotency-Key %(key)s was already used with a different request."),
        field="Idempotency-Key",
        params={"key": key},
    )


def intake_prepare(
    *,
    actor: Any,
    data: dict[str, Any],
    key: str,
    render: Render,
) -> IntakeRequest | IntakeResult:
    """Check an intake before it is registered, in the active language: the key, then the body
    (``ValidationFailed`` naming the fields). A key already used answers for it — its replay,
    or ``Conflict`` for another body — before the body's errors do."""
    key = (key or "").strip()
    if not key or len(key) > 255:
        raise ValidationFailed(
            [
                FieldError(
                    "Idempotency-Key",
                    "idempotency_key_invalid",
                    _("The Idempotency-Key header must have 1 to 255 characters."),
                )
            ]
        )
    client = _label(actor)[:80]
    fingerprint = request_fingerprint(data)
    try:
        cleaned = clean_appeal_input(data)
    except ValidationFailed:
        existing = IdempotencyKey.objects.filter(client=client, key=key).first()
        if existing is None:
            raise
        if existing.request_hash != fingerprint:
            raise _reused(key) from None
        return IntakeResult(existing.status_code, existing.response, True)
    request_id = request_id_var.get()
    return IntakeRequest(
        actor=actor,
        client=client,
        key=key,
        fingerprint=fingerprint,
        cleaned=cleaned,
        render=render,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        request_id="" if request_id == "-" else request_id,
    )


def appeal_register_idempotent(
    *,
    actor: Any,
    data: dict[str, Any],
    key: str,
    render: Render,
) -> tuple[int, dict[str, Any], bool]:
    """Register once per (client, key). The key row is inserted before the appeal, in the same
    transaction, so a concurrent twin (in another batch or process) waits on its unique index and
    then replays; twins in the same batch are told apart in memory.

    Returns (status, body, replayed)."""
    prepared = intake_prepare(actor=actor, data=data, key=key, render=render)
    outcome = prepared if isinstance(prepared, IntakeResult) else _submit(prepared)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome.status, outcome.body, outcome.replayed


# --- one batch ---------------------------------------------------------------------------------


def intake_register_batch(
    requests: Sequence[IntakeRequest], *, built: Callable[[], None] | None = None
) -> list[Outcome]:
    """Register ``requests`` in one transaction; an outcome (result or error) per request, in
    order. If the batch fails as a whole, each request is tried again in its own transaction.
    ``built`` is called once the batch's rows are built, before they are written (the group
    committer lets its next batch gather from then on)."""
    try:
        return _register(requests, built)
    except Exception as exc:
        _reset_if_broken()
        if len(requests) == 1:
            if not isinstance(exc, (Conflict, ValidationFailed)):
                logger.exception("appeals: an API intake failed")
            return [exc]
        logger.warning(
            "appeals: a batch of %d intakes failed; one by one", len(requests), exc_info=True
        )
    outcomes: list[Outcome] = []
    for request in requests:
        outcomes.extend(intake_register_batch([request]))
    return outcomes


def _reset_if_broken() -> None:
    """After a failed pipeline the connection may be left mid-transaction: start afresh."""
    if connection.in_atomic_block or connection.connection is None:
        return
    if connection.vendor == "postgresql" and connection.connection.info.transaction_status != 0:
        connection.close()  # psycopg: 0 is IDLE (no transaction open)


def _register(
    requests: Sequence[IntakeRequest], built: Callable[[], None] | None = None
) -> list[Outcome]:
    outcomes: list[Outcome | None] = [None] * len(requests)
    year = clock.local_date().year
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        number_sequence(year)  # made, if ever, in its own transaction (see its docstring)
    with writer_turn(), transaction.atomic(durable=True):
        now = clock.now()
        year = clock.local_date(now).year
        leaders: dict[tuple[str, str], int] = {}
        for index, request in enumerate(requests):
            leaders.setdefault((request.client, request.key), index)
        claims, stored = claim_keys(
            [(c, k, requests[i].fingerprint) for (c, k), i in leaders.items()], now=now, year=year
        )
        fresh = [i for pair, i in leaders.items() if pair in claims]
        bodies = _register_fresh(
            [requests[i] for i in fresh],
            [claims[(requests[i].client, requests[i].key)] for i in fresh],
            now=now,
            built=built,
        )
        registered = dict(zip(fresh, bodies, strict=True))
        for index, request in enumerate(requests):
            pair = (request.client, request.key)
            leader = leaders[pair]
            if pair in claims:  # this batch registers it: the first request, or its twin
                if index == leader:
                    outcomes[index] = IntakeResult(201, registered[index], False)
                elif requests[leader].fingerprint != request.fingerprint:
                    outcomes[index] = _reused(request.key)
                else:
                    outcomes[index] = IntakeResult(201, registered[leader], True)
                continue
            row = stored[pair]
            if row.request_hash != request.fingerprint:
                outcomes[index] = _reused(request.key)
            else:
                outcomes[index] = IntakeResult(row.status_code, row.response, True)
    return [o for o in outcomes if o is not None]


def _deadline(channel: str, received_at: Any) -> Due | None:
    """The reply deadline; call in English (the citation is stored once, in English, and shown
    per reader through the rule id)."""
    try:
        return policy_due_cached(reply_rule_code(channel), received_at)
    except NotFound:
        # A missing rule is a configuration error; the appeal is still registered (never
        # lost), without a deadline, and the gap is logged and kept in its history.
        logger.error("appeals: no deadline rule in force for %s", received_at.isoformat())
        return None


def _register_fresh(
    requests: list[IntakeRequest],
    claims: list[Claim],
    *,
    now: Any,
    built: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """The appeals of ``requests`` with their claimed ids and numbers, deadlines, events, audit
    records and acknowledgements, written by ``write_fresh``; the stored (and returned)
    response bodies."""
    if not requests:
        return []
    rows = FreshRows(now=now)
    acknowledgements: list[NotificationDraft] = []
    bodies: list[dict[str, Any]] = []
    with translation.override("en"):
        dues = [_deadline(r.cleaned.channel, r.cleaned.received_at or now) for r in requests]
    with translation.override(translation.get_language()):
        _rows_of_fresh(requests, claims, dues, rows, acknowledgements, bodies, now=now)
    rows.notifications, rows.outbox = notification_new_rows(acknowledgements)
    if built is not None:
        built()
    write_fresh(rows)
    for request, appeal in zip(requests, rows.appeals, strict=True):
        for upload in request.cleaned.attachments:
            attachment_add(appeal=appeal, upload=upload)
    return bodies


def _rows_of_fresh(
    requests: list[IntakeRequest],
    claims: list[Claim],
    dues: list[Due | None],
    rows: FreshRows,
    acknowledgements: list[NotificationDraft],
    bodies: list[dict[str, Any]],
    *,
    now: Any,
) -> None:
    """Build the rows of ``requests`` into ``rows``, their acknowledgements and the response
    bodies (each rendered in its request's language)."""
    active = translation.get_language()
    for request, claim, due in zip(requests, claims, dues, strict=True):
        cleaned = request.cleaned
        received_at = cleaned.received_at or now
        service = cleaned.service
        user = _user(request.actor)
        label = _label(request.actor)
        complaint_body = cleaned.complaint_body
        appeal = new_appeal(
            {
                "id": claim.appeal_id,
                "number": claim.number,
                "channel": cleaned.channel,
                "line_id": cleaned.line.pk if cleaned.line else None,
                "received_at": received_at,
                "registered_at": now,
                "registered_by_id": user.pk if user is not None else None,
                "applicant_name": cleaned.applicant_name,
                "applicant_iin_bin": cleaned.applicant_iin_bin,
                "applicant_phone": cleaned.applicant_phone,
                "applicant_email": cleaned.applicant_email,
                "region_id": cleaned.region.pk if cleaned.region else None,
                "language": cleaned.language,
                "service_id": service.pk if service else None,
                "organisation_id": service.owner_id
                if service
                else getattr(complaint_body, "pk", None),
                "category": cleaned.category,
                "subject": cleaned.subject,
                "content": cleaned.content,
                "complaint_type": cleaned.complaint_type,
                "non_compliance": cleaned.non_compliance,
                "complaint_body_id": complaint_body.pk if complaint_body else None,
                "official_name": cleaned.official_name,
                "motives": cleaned.motives,
                "demands": cleaned.demands,
                "due_at": due.due if due else None,
                "due_rule_id": due.rule_id if due else None,
                "due_citation": str(due.citation) if due else "",
            },
            related={"service": service, "line": cleaned.line, "region": cleaned.region},
        )
        if request.language != active:
            translation.activate(request.language)  # the batch's own thread: restored below
            active = request.language
        body = request.render(appeal)
        bodies.append(body)
        rows.appeals.append(appeal)
        rows.events.append(
            {
                "appeal_id": appeal.pk,
                "at": now,
                "code": "registered",
                "params": {"channel": appeal.channel, "due": due.due.isoformat() if due else ""},
                "actor_id": user.pk if user is not None else None,
                "actor_label": label,
                "public": True,
            }
        )
        if due is None:
            rows.events.append(
                {
                    "appeal_id": appeal.pk,
                    "at": now,
                    "code": "no_deadline_rule",
                    "params": {},
                    "actor_label": _label(None),
                    "public": False,
                }
            )
        if appeal.applicant_email:
            local_due = appeal.due_at.astimezone(clock.local_zone()) if appeal.due_at else None
            acknowledgements.append(
                NotificationDraft(
                    appeal=appeal,
                    code="acknowledgement",
                    recipient=appeal.applicant_email,
                    language=appeal.language,
                    key_suffix="first",
                    params={"due": f"{local_due:%d.%m.%Y %H:%M}" if local_due else ""},
                )
            )
        rows.responses.append(
            Response(
                key_id=claim.key_id,
                client=request.client,
                key=request.key,
                request_hash=request.fingerprint,
                body=body,
                appeal_id=claim.appeal_id,
            )
        )
        rows.audit.append(
            AuditEntry(
                actor=request.actor,
                action="appeals.register",
                target=appeal,
                changes={"number": appeal.number, "channel": appeal.channel},
                request_id=request.request_id,
            )
        )


# --- the group committer -----------------------------------------------------------------------


_committer: GroupCommitter[IntakeRequest] | None = None
_committer_lock = threading.Lock()


def group_committer() -> GroupCommitter[IntakeRequest]:
    """This process's committer, started on first use (and again in a forked child)."""
    global _committer
    current = _committer
    if current is not None and current.pid == os.getpid():
        return current
    with _committer_lock:
        if _committer is None or _committer.pid != os.getpid():
            _committer = GroupCommitter(
                register=lambda requests, built: intake_register_batch(requests, built=built),
                kind=IntakeRequest,
                max_batch=int(getattr(settings, "APPEALS_INTAKE_BATCH_MAX", 64)),
                threads=_committer_threads(),
            )
        return _committer


def _committer_threads() -> int:
    configured = int(getattr(settings, "APPEALS_INTAKE_COMMITTERS", 2))
    return max(1, configured) if connection.vendor == "postgresql" else 1


def group_committer_stop() -> None:
    """Stop this process's committer (tests; a new one starts on the next request)."""
    global _committer
    with _committer_lock:
        current, _committer = _committer, None
    if current is not None and current.pid == os.getpid():
        current.stop()


def intake_run(prepare: Callable[[], Any], finish: Callable[[Outcome], Any]) -> Any:
    """Run ``prepare`` in the group committer (ADR 0011): if it gives an ``IntakeRequest``, the
    request is registered with the next batch and ``finish(outcome)`` — also run there — is
    returned; anything else ``prepare`` gives is returned as it is. Inside a transaction (the
    tests' ``django_db``) or with ``APPEALS_INTAKE_GROUP_COMMIT`` off, all of it in this thread,
    as a batch of one."""
    enabled = bool(getattr(settings, "APPEALS_INTAKE_GROUP_COMMIT", True))
    if not enabled or connection.in_atomic_block:
        prepared = prepare()
        if not isinstance(prepared, IntakeRequest):
            return prepared
        return finish(intake_register_batch([prepared])[0])
    timeout = float(getattr(settings, "APPEALS_INTAKE_WAIT_SECONDS", 60))
    return group_committer().run(prepare, finish, timeout=timeout)


def _submit(request: IntakeRequest) -> Outcome:
    outcome: Outcome = intake_run(lambda: request, lambda outcome: outcome)
    return outcome


def intake_warm_up() -> None:
    """Fill the caches a first intake would fill while its client waits: the status labels and
    acknowledgement texts of every language, the reply deadline in force today."""
    from qoldau.appeals.api import status_label
    from qoldau.appeals.enums import Channel, Status
    from qoldau.appeals.notify import notification_templates

    for code, _name in settings.LANGUAGES:
        status_label(Status.REGISTERED, code)
        notification_templates(code)
    with translation.override("en"):
        _deadline(Channel.API, clock.now())
