"""Forms sent twice register once (R8, R9): a double click on "Send", or a browser that sends
the form again after its answer was lost, gives back the appeal of the first sending.

Each form carries a one-time submission token, made when the form is shown
(``forms.SentOnceForm``). The token is claimed, as an idempotency key of the form's client, in
the transaction that registers the appeal, so a second sending waits for the first and then
finds its appeal (the key's unique index decides between two at once). Refused input rolls the
claim back with everything else, so the corrected form can be sent with the same token. A token
sent again with other content (the applicant went back and changed the form) registers nothing
and asks for the form to be sent again as a new appeal.

Going back in the browser loads the form anew, with a new token, and the browser fills in what
was typed. So a form sent again that way is told by its content instead (``recent_twin``): the
same person sending the same appeal through the same form within ``RESEND_WINDOW`` gets the
appeal of the first sending.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from qoldau.appeals.inputs import AppealInput
from qoldau.appeals.intake import request_fingerprint
from qoldau.appeals.models import Appeal, IdempotencyKey
from qoldau.appeals.services import attachment_name
from qoldau.core import clock
from qoldau.core.errors import Conflict
from qoldau.core.form_tokens import form_token_valid

PUBLIC_FORM = "web-form"
RESEND_WINDOW = dt.timedelta(minutes=10)
_TWIN_LOCKS = 0x51_46_54  # "QFT": the advisory locks of forms sent twice


def desk_client(actor: Any) -> str:
    """The client of the operators' forms: each operator's tokens are their own."""
    return f"desk:{getattr(actor, 'pk', '')}"


def register_once(
    *,
    data: dict[str, Any],
    submission: str,
    client: str,
    register: Callable[[], Appeal],
    twin: Callable[[], Appeal | None] | None = None,
) -> tuple[Appeal, bool]:
    """Run ``register`` (it registers the appeal of ``data`` in the current transaction) unless
    the token already registered one, or ``twin`` finds the appeal this form registered before
    under another token; returns the appeal and whether this call registered it. A form without
    a well-formed token registers as before, without the guard."""
    fingerprint = request_fingerprint(data)
    with transaction.atomic(durable=True):
        if not form_token_valid(submission):
            return register(), True
        key, created = IdempotencyKey.objects.get_or_create(
            client=client,
            key=submission,
            defaults={"request_hash": fingerprint, "status_code": 201, "created_at": clock.now()},
        )
        if not created:
            return _sent_before(key, fingerprint), False
        earlier = twin() if twin is not None else None
        if earlier is not None:
            key.appeal = earlier
            key.response = {"number": earlier.number}
            key.save(update_fields=["appeal", "response"])
            return earlier, False
        appeal = register()
        key.appeal = appeal
        key.response = {"number": appeal.number}
        key.save(update_fields=["appeal", "response"])
    return appeal, True


def _sent_before(key: IdempotencyKey, fingerprint: str) -> Appeal:
    appeal = key.appeal
    if appeal is not None and key.request_hash == fingerprint:
        return appeal
    number = appeal.number if appeal is not None else str(key.response.get("number", ""))
    raise Conflict(
        "form_already_sent",
        _(
            "This form was already sent and registered as appeal %(number)s. Check it and send "
            "the form again to register a new appeal."
        ),
        field="submission",
        params={"number": number},
    )


def recent_twin(cleaned: AppealInput, *, actor: Any) -> Appeal | None:
    """The appeal registered within ``RESEND_WINDOW`` by the same person (``actor``; anonymous
    for the public form) from the same content, applicant and choices as ``cleaned``: the
    form sent again after going back. Only for an applicant who can be told apart (an e-mail,
    phone or IIN/BIN): two anonymous callers may well ask the same question."""
    if not (cleaned.applicant_email or cleaned.applicant_phone or cleaned.applicant_iin_bin):
        return None
    _one_sending_at_a_time(cleaned)
    signed_in = bool(getattr(actor, "is_authenticated", False))
    found = Appeal.objects.filter(
        registered_at__gte=clock.now() - RESEND_WINDOW,
        channel=cleaned.channel,
        applicant_email=cleaned.applicant_email,
        applicant_phone=cleaned.applicant_phone,
        applicant_iin_bin=cleaned.applicant_iin_bin,
        applicant_name=cleaned.applicant_name,
        content=cleaned.content,
        subject=cleaned.subject,
        category=cleaned.category,
        service=cleaned.service,
        region=cleaned.region,
        registered_by=actor if signed_in else None,
    )
    files = sorted(_file(upload) for upload in cleaned.attachments)
    for appeal in found.order_by("registered_at").prefetch_related("attachments"):
        if sorted((a.name, a.size) for a in appeal.attachments.all()) == files:
            return appeal
    return None


def _one_sending_at_a_time(cleaned: AppealInput) -> None:
    """Two tabs sending the same appeal at the same instant would each miss the other's
    uncommitted twin. So the sendings of one applicant take turns until the transaction ends:
    the second then sees the first one's appeal. SQLite's IMMEDIATE transactions already take
    turns; on PostgreSQL a transaction-scoped advisory lock does."""
    if not connection.in_atomic_block:
        raise RuntimeError("recent_twin belongs in the transaction that registers the appeal")
    if connection.vendor != "postgresql":
        return
    contacts = (cleaned.applicant_email, cleaned.applicant_phone, cleaned.applicant_iin_bin)
    applicant = "\x1f".join((cleaned.channel, *contacts))
    digest = hashlib.blake2b(applicant.encode(), digest_size=4).digest()
    with connection.cursor() as cursor:
        # The two-key form: its keys never meet the one-key locks taken elsewhere.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [_TWIN_LOCKS, int.from_bytes(digest, "big", signed=True)],
        )


def _file(upload: Any) -> tuple[str, int]:
    """An upload's name and size as ``services.attachment_add`` stores them."""
    return attachment_name(upload), int(getattr(upload, "size", 0) or 0)
