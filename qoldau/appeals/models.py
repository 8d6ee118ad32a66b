"""Appeals (R8-R15): every contact registered once with a number, a deadline and a history.

Models hold data only: writes go through ``services.py``, reads through ``selectors.py``;
``status`` changes only through the table in ``transitions.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qoldau.appeals.enums import (
    Category,
    Channel,
    ComplaintType,
    HandoffKind,
    Language,
    LineKind,
    LinkKind,
    Status,
)
from qoldau.core.i18n import localized


class Line(models.Model):
    """A configured phone line, mailbox or messenger account (R8: configuration, not code)."""

    kind = models.CharField(_("kind"), max_length=12, choices=LineKind.choices)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    address = models.CharField(
        _("number or address"), max_length=200, help_text=_("1414, 88000807777, an e-mail address")
    )
    name_kk = models.CharField(_("name (Kazakh)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("line")
        verbose_name_plural = _("lines")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return localized(self, "name")


class NumberCounter(models.Model):
    """The last registration number issued in a year; locked (SELECT … FOR UPDATE) per number."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("number counter")
        verbose_name_plural = _("number counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Appeal(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    line = models.ForeignKey(
        Line, verbose_name=_("line"), on_delete=models.PROTECT, null=True, blank=True
    )
    received_at = models.DateTimeField(_("received"))
    registered_at = models.DateTimeField(_("registered"), editable=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The applicant (R8). Personal data: masked in lists, audited when opened.
    applicant_name = models.CharField(_("applicant"), max_length=200, blank=True)
    applicant_iin_bin = models.CharField(_("IIN or BIN"), max_length=12, blank=True)
    applicant_phone = models.CharField(_("phone"), max_length=16, blank=True)
    applicant_email = models.EmailField(_("e-mail"), blank=True)
    region = models.ForeignKey(
        "registry.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.KK
    )
    service = models.ForeignKey(
        "registry.PublicService",
        verbose_name=_("public service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals",
    )
    # The organisation the appeal concerns (the service's owner): scopes partners' access (R2).
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals",
    )
    category = models.CharField(
        _("category"), max_length=16, choices=Category.choices, default=Category.CONSULTATION
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    content = models.TextField(_("content"))
    measures_taken = models.TextField(_("measures taken"), blank=True)
    answer = models.TextField(_("answer"), blank=True)
    # Complaints (R14).
    complaint_type = models.CharField(
        _("complaint type"), max_length=12, choices=ComplaintType.choices, blank=True
    )
    non_compliance = models.TextField(_("description of the non-compliance"), blank=True)
    complaint_body = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("body complained about"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    official_name = models.CharField(_("official's full name"), max_length=200, blank=True)
    motives = models.TextField(_("motives"), blank=True)
    demands = models.TextField(_("demands"), blank=True)
    # Lifecycle.
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REGISTERED
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_appeals",
    )
    assigned_group = models.CharField(_("group"), max_length=100, blank=True)
    # The deadline (R32): computed once at registration with the rule that produced it.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    due_rule = models.ForeignKey(
        "policy.PolicyRule",
        verbose_name=_("deadline rule"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    due_citation = models.CharField(_("deadline citation"), max_length=200, blank=True)
    overdue_at = models.DateTimeField(_("flagged overdue"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_appeals",
    )

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-registered_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="appeals_status_due_idx"),
            models.Index(fields=["applicant_phone"], name="appeals_phone_idx"),
            models.Index(fields=["applicant_iin_bin"], name="appeals_iin_idx"),
            models.Index(fields=["applicant_email"], name="appeals_email_idx"),
            models.Index(fields=["-registered_at"], name="appeals_registered_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class AppealEvent(models.Model):
    """One entry of an appeal's history: a code and parameters, shown in the reader's language."""

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("time"))
    code = models.CharField(_("code"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("by"), max_length=160, blank=True)
    # Shown to the applicant on the public status page (no internal notes).
    public = models.BooleanField(_("shown to the applicant"), default=True)

    class Meta:
        verbose_name = _("appeal event")
        verbose_name_plural = _("appeal events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.code}"


class AppealAttachment(models.Model):
    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="appeals/%Y/%m/", blank=True)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    # Where the file came from when it is kept elsewhere (an e-mail attachment of the mail app).
    source = models.CharField(_("source"), max_length=100, blank=True)
    added_at = models.DateTimeField(_("added"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["added_at", "pk"]

    def __str__(self) -> str:
        return self.name


class AppealLink(models.Model):
    """Two appeals about the same matter (related) or the same contact twice (duplicate)."""

    from_appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="links_out"
    )
    to_appeal = models.ForeignKey(
        Appeal, verbose_name=_("linked appeal"), on_delete=models.CASCADE, related_name="links_in"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=LinkKind.choices)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("appeal link")
        verbose_name_plural = _("appeal links")
        constraints = [
            models.UniqueConstraint(fields=["from_appeal", "to_appeal"], name="appeals_link_once"),
            models.CheckConstraint(
                condition=~Q(from_appeal=models.F("to_appeal")), name="appeals_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_appeal_id} → {self.to_appeal_id}"


class Handoff(models.Model):
    """A referral (R11), a complaint forwarded (R14) or a transfer (R12) of an appeal."""

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="handoffs"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=HandoffKind.choices)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("competent body"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    body_name = models.CharField(_("competent body"), max_length=300, blank=True)
    body_details = models.TextField(_("details given to the applicant"), blank=True)
    article_id = models.PositiveIntegerField(_("knowledge base article"), null=True, blank=True)
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to operator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_group = models.CharField(_("to group"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("hand-off")
        verbose_name_plural = _("hand-offs")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.kind}"


class Notification(models.Model):
    """A message to an applicant or a body, kept with the appeal; delivery goes through the outbox
    (``outbox_key`` is the idempotency key handed to it)."""

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="notifications"
    )
    code = models.CharField(_("code"), max_length=40)
    channel = models.CharField(_("channel"), max_length=12, default="email")
    recipient = models.CharField(_("recipient"), max_length=254)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    outbox_key = models.CharField(_("outbox key"), max_length=100, unique=True)
    queued = models.BooleanField(_("handed to the outbox"), default=False)
    # The outbox's Message-ID: a reply to this message threads into the appeal (R9).
    outbox_message_id = models.CharField(_("Message-ID"), max_length=998, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.code} → {self.recipient}"


class AnswerTemplate(models.Model):
    """A ready answer in three languages; the operator picks the applicant's language (R34)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    title_kk = models.CharField(_("title (Kazakh)"), max_length=200)
    title_ru = models.CharField(_("title (Russian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    text_kk = models.TextField(_("text (Kazakh)"))
    text_ru = models.TextField(_("text (Russian)"))
    text_en = models.TextField(_("text (English)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("answer template")
        verbose_name_plural = _("answer templates")
        ordering = ["code"]

    def __str__(self) -> str:
        return localized(self, "title")


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` of an API client with the first response, replayed on retries."""

    client = models.CharField(_("client"), max_length=80)
    key = models.CharField(_("key"), max_length=255)
    request_hash = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("response status"))
    response = models.JSONField(_("response body"), default=dict)
    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="appeals_idempotency_once")
        ]

    def __str__(self) -> str:
        return f"{self.client}:{self.key}"


class AppealMessage(models.Model):
    """An inbound e-mail that created or joined an appeal. One row per message, ever (R9): the
    one-to-one link to the stored message makes a second handling of the same message a no-op."""

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="messages"
    )
    inbound_message = models.OneToOneField(
        "mail.InboundMessage",
        verbose_name=_("inbound message"),
        on_delete=models.PROTECT,
        related_name="appeal_link",
    )
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True, db_index=True)
    created_appeal = models.BooleanField(_("opened the appeal"), default=False)
    received_at = models.DateTimeField(_("received"))

    class Meta:
        verbose_name = _("appeal e-mail")
        verbose_name_plural = _("appeal e-mails")
        ordering = ["received_at", "pk"]

    def __str__(self) -> str:
        return self.message_id or str(self.inbound_message_id)


class CallAppeal(models.Model):
    """An appeal registered during a call: the call record's link to its appeal (R16). It lives
    here, in the higher app, so telephony never imports appeals."""

    call = models.ForeignKey(
        "telephony.CallRecord",
        verbose_name=_("call"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="call_links"
    )
    linked_at = models.DateTimeField(_("linked"))

    class Meta:
        verbose_name = _("appeal of a call")
        verbose_name_plural = _("appeals of calls")
        constraints = [
            models.UniqueConstraint(fields=["call", "appeal"], name="appeals_call_appeal_once")
        ]

    def __str__(self) -> str:
        return f"{self.call_id}:{self.appeal_id}"


class AppealRating(models.Model):
    """The applicant's five-point rating of a written appeal's handling (R13, p.13), asked for
    by a link sent when the appeal is closed; one per appeal, given once."""

    appeal = models.OneToOneField(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="rating"
    )
    token = models.CharField(_("link token"), max_length=64, unique=True, editable=False)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("asked"))
    expires_at = models.DateTimeField(_("link valid until"))
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)

    class Meta:
        verbose_name = _("rating of an appeal")
        verbose_name_plural = _("ratings of appeals")
        indexes = [models.Index(fields=["rated_at"], name="appeals_rating_at_idx")]

    def __str__(self) -> str:
        return f"{self.appeal_id}:{self.score}"
