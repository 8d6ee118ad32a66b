"""Work distribution (R12, R16, R18), modelled on Twilio TaskRouter: operators with competences
and presence, queues chosen by rules with ordered steps, tasks, and reservations.

Two database constraints make double assignment impossible whatever the code does: a task has at
most one open (offered or accepted) reservation, and an operator at most one open call.
Models hold data only: writes go through ``services.py``, reads through ``selectors.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from qoldau.core.i18n import localized
from qoldau.routing.enums import (
    LanguageMode,
    Presence,
    QueueChannel,
    ReservationState,
    SkillMode,
    SkillSource,
    TaskState,
    TrainingResult,
    WorkChannel,
)

LEVELS = [(n, str(n)) for n in range(1, 6)]
OPEN_RESERVATION = Q(state__in=[ReservationState.PENDING, ReservationState.ACCEPTED])


class Skill(models.Model):
    """A competence: a public service (the usual case) or a topic such as "EDS" or "eGov"."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=300)
    name_ru = models.CharField(_("name (Russian)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    service = models.OneToOneField(
        "registry.PublicService",
        verbose_name=_("public service"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_skill",
    )

    class Meta:
        verbose_name = _("competence")
        verbose_name_plural = _("competences")
        ordering = ["code"]

    def __str__(self) -> str:
        return localized(self, "name")


class Operator(models.Model):
    """A person who takes work, with presence and capacity per channel (one call; several
    written appeals). ``voice_busy`` and ``text_busy`` change only with reservations."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="routing_operator",
    )
    extension = models.CharField(
        _("extension"),
        max_length=40,
        blank=True,
        help_text=_("The operator's phone or SIP extension as the PBX names it, e.g. 1001."),
    )
    presence = models.CharField(
        _("presence"), max_length=10, choices=Presence.choices, default=Presence.OFFLINE
    )
    presence_since = models.DateTimeField(_("presence since"))
    # When the operator last became free for a call: the longest-idle operator is offered first.
    idle_since = models.DateTimeField(_("free since"))
    voice_capacity = models.PositiveSmallIntegerField(_("calls at once"), default=1)
    text_capacity = models.PositiveSmallIntegerField(_("written appeals at once"), default=3)
    voice_busy = models.PositiveSmallIntegerField(_("calls in work"), default=0)
    text_busy = models.PositiveSmallIntegerField(_("written appeals in work"), default=0)
    wrap_up_until = models.DateTimeField(_("wrap-up until"), null=True, blank=True)

    class Meta:
        verbose_name = _("operator")
        verbose_name_plural = _("operators")
        ordering = ["user__username"]
        indexes = [models.Index(fields=["presence", "idle_since"], name="routing_op_free_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(voice_busy__lte=F("voice_capacity")), name="routing_voice_capacity"
            ),
            models.CheckConstraint(
                condition=Q(text_busy__lte=F("text_capacity")), name="routing_text_capacity"
            ),
            models.UniqueConstraint(
                fields=["extension"],
                condition=~Q(extension=""),
                name="routing_extension_unique",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user.get_full_name() or self.user.get_username())


class OperatorSkill(models.Model):
    operator = models.ForeignKey(
        Operator, verbose_name=_("operator"), on_delete=models.CASCADE, related_name="skills"
    )
    skill = models.ForeignKey(
        Skill, verbose_name=_("competence"), on_delete=models.CASCADE, related_name="holders"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=LEVELS, default=3)
    source = models.CharField(
        _("source"), max_length=10, choices=SkillSource.choices, default=SkillSource.MANUAL
    )
    granted_at = models.DateTimeField(_("granted"))

    class Meta:
        verbose_name = _("operator's competence")
        verbose_name_plural = _("operators' competences")
        constraints = [
            models.UniqueConstraint(fields=["operator", "skill"], name="routing_skill_once")
        ]
        indexes = [models.Index(fields=["skill", "level"], name="routing_skill_level_idx")]

    def __str__(self) -> str:
        return f"{self.skill.code}:{self.level}"


class OperatorLanguage(models.Model):
    operator = models.ForeignKey(
        Operator, verbose_name=_("operator"), on_delete=models.CASCADE, related_name="languages"
    )
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES)
    level = models.PositiveSmallIntegerField(_("level"), choices=LEVELS, default=5)

    class Meta:
        verbose_name = _("operator's language")
        verbose_name_plural = _("operators' languages")
        constraints = [
            models.UniqueConstraint(fields=["operator", "language"], name="routing_language_once")
        ]
        indexes = [models.Index(fields=["language", "level"], name="routing_lang_level_idx")]

    def __str__(self) -> str:
        return f"{self.language}:{self.level}"


class PresenceChange(models.Model):
    """Each change of presence, for the wallboard's history and occupancy."""

    operator = models.ForeignKey(
        Operator, verbose_name=_("operator"), on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    before = models.CharField(_("before"), max_length=10, choices=Presence.choices)
    after = models.CharField(_("after"), max_length=10, choices=Presence.choices)
    reason = models.CharField(_("reason"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("presence change")
        verbose_name_plural = _("presence changes")
        indexes = [models.Index(fields=["at"], name="routing_presence_at_idx")]

    def __str__(self) -> str:
        return f"{self.before}→{self.after}"


class Queue(models.Model):
    """Where tasks wait. The first active queue (by ``priority``) whose ``match`` rule holds for
    a task takes it; its steps then say whom to offer it to and for how long."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    channel = models.CharField(
        _("work"), max_length=5, choices=QueueChannel.choices, default=QueueChannel.VOICE
    )
    match = models.CharField(
        _("rule"),
        max_length=500,
        blank=True,
        help_text=_(
            'Which tasks this queue takes, e.g. language == "kk" AND service IN ["1", "2"]. '
            "Empty: every task of its channel."
        ),
    )
    priority = models.PositiveSmallIntegerField(_("order"), default=100)
    offer_seconds = models.PositiveSmallIntegerField(_("seconds to accept an offer"), default=15)
    is_active = models.BooleanField(_("active"), default=True)
    members: models.ManyToManyField[Operator, QueueMember] = models.ManyToManyField(
        Operator, verbose_name=_("members"), through="QueueMember", related_name="queues"
    )

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return localized(self, "name")


class QueueMember(models.Model):
    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.CASCADE)
    operator = models.ForeignKey(Operator, verbose_name=_("operator"), on_delete=models.CASCADE)
    added_at = models.DateTimeField(_("added"))

    class Meta:
        verbose_name = _("queue member")
        verbose_name_plural = _("queue members")
        constraints = [
            models.UniqueConstraint(fields=["queue", "operator"], name="routing_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.queue_id}:{self.operator_id}"


class QueueStep(models.Model):
    """One step of a queue's workflow: whom to offer the task to while it waits. A task moves to
    the next step when ``timeout_seconds`` pass in this one; the last step waits forever."""

    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), on_delete=models.CASCADE, related_name="steps"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    skill_mode = models.CharField(
        _("competence"), max_length=8, choices=SkillMode.choices, default=SkillMode.SERVICE
    )
    min_skill_level = models.PositiveSmallIntegerField(
        _("lowest competence level"), choices=LEVELS, default=1
    )
    language_mode = models.CharField(
        _("language"), max_length=4, choices=LanguageMode.choices, default=LanguageMode.TASK
    )
    min_language_level = models.PositiveSmallIntegerField(
        _("lowest language level"), choices=LEVELS, default=3
    )
    members_only = models.BooleanField(_("only the queue's members"), default=True)
    timeout_seconds = models.PositiveIntegerField(
        _("seconds before the next step"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("queue step")
        verbose_name_plural = _("queue steps")
        ordering = ["queue", "order"]
        constraints = [
            models.UniqueConstraint(fields=["queue", "order"], name="routing_step_order_once")
        ]

    def __str__(self) -> str:
        return f"{self.queue_id}#{self.order}"


class Task(models.Model):
    """A piece of work to distribute: a call (``ref`` = call id) or a written appeal (``ref`` =
    its number). ``attributes`` carry what queues and steps look at: language, service, line."""

    channel = models.CharField(_("work"), max_length=5, choices=WorkChannel.choices)
    ref = models.CharField(_("reference"), max_length=128)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), on_delete=models.PROTECT, null=True, blank=True
    )
    step = models.PositiveSmallIntegerField(_("step"), default=1)
    step_started_at = models.DateTimeField(_("step since"))
    state = models.CharField(
        _("state"), max_length=10, choices=TaskState.choices, default=TaskState.PENDING
    )
    priority = models.SmallIntegerField(_("priority"), default=0)
    created_at = models.DateTimeField(_("created"))
    assigned_to = models.ForeignKey(
        Operator,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
    )
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    offers = models.PositiveSmallIntegerField(_("offers made"), default=0)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [models.UniqueConstraint(fields=["channel", "ref"], name="routing_task_once")]
        indexes = [
            models.Index(fields=["state", "priority", "created_at"], name="routing_task_wait_idx")
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.ref}"


class Reservation(models.Model):
    """An offer of a task to one operator: accepted, rejected, or timed out."""

    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="reservations"
    )
    operator = models.ForeignKey(
        Operator,
        verbose_name=_("operator"),
        on_delete=models.CASCADE,
        related_name="reservations",
    )
    channel = models.CharField(_("work"), max_length=5, choices=WorkChannel.choices)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=ReservationState.choices,
        default=ReservationState.PENDING,
    )
    step = models.PositiveSmallIntegerField(_("step"), default=1)
    offered_at = models.DateTimeField(_("offered"))
    expires_at = models.DateTimeField(_("expires"))
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            # A task is never given to two operators …
            models.UniqueConstraint(
                fields=["task"], condition=OPEN_RESERVATION, name="routing_task_one_open"
            ),
            # … and an operator never gets two calls.
            models.UniqueConstraint(
                fields=["operator"],
                condition=OPEN_RESERVATION & Q(channel=WorkChannel.VOICE),
                name="routing_operator_one_call",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "expires_at"], name="routing_resv_due_idx"),
            # The desk's calls just finished, read on every poll of every operator's desk.
            models.Index(
                fields=["operator", "-responded_at"],
                condition=Q(state="completed", channel="voice"),
                name="routing_resv_done_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}→{self.operator_id}:{self.state}"


class Training(models.Model):
    """A training or retraining session (R18; Rules p.15, p.17.1, p.21): on a by-law or a topic,
    held by a state body, a service provider or the e-government infrastructure operator.
    Passing it grants ``skill`` to the participant."""

    topic_kk = models.CharField(_("topic (Kazakh)"), max_length=300)
    topic_ru = models.CharField(_("topic (Russian)"), max_length=300)
    topic_en = models.CharField(_("topic (English)"), max_length=300, blank=True)
    bylaw = models.ForeignKey(
        "registry.ByLaw",
        verbose_name=_("by-law"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    trainer = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("trainer organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    held_on = models.DateField(_("date"))
    skill = models.ForeignKey(
        Skill,
        verbose_name=_("competence granted"),
        on_delete=models.PROTECT,
        related_name="trainings",
    )
    skill_level = models.PositiveSmallIntegerField(_("level granted"), choices=LEVELS, default=3)
    is_retraining = models.BooleanField(_("retraining"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The one-time token of the form that recorded it: the same form sent twice records once.
    submission = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return localized(self, "topic")


class TrainingResultRow(models.Model):
    training = models.ForeignKey(
        Training, verbose_name=_("training"), on_delete=models.CASCADE, related_name="results"
    )
    operator = models.ForeignKey(
        Operator, verbose_name=_("operator"), on_delete=models.CASCADE, related_name="trainings"
    )
    result = models.CharField(_("result"), max_length=8, choices=TrainingResult.choices)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("training result")
        verbose_name_plural = _("training results")
        constraints = [
            models.UniqueConstraint(
                fields=["training", "operator"], name="routing_training_result_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.training_id}:{self.operator_id}:{self.result}"
