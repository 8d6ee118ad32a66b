"""The knowledge base (R5-R7, R23): articles, a row per language with its own lifecycle, every
saved version, review flags when a by-law changes, synonyms for the search and the search-index
change log that keeps every process's in-memory index fresh.

Models hold data only: every write goes through ``services.py``, every read through
``selectors.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qoldau.core.models import TimeStampedModel
from qoldau.knowledge.enums import (
    ArticleKind,
    ArticleSource,
    FlagReason,
    FlagResolution,
    IndexAction,
    Language,
    TranslationStatus,
)


class Article(TimeStampedModel):
    """What an article is about and where it comes from; its text is in ``ArticleTranslation``."""

    external_id = models.CharField(
        _("external identifier"),
        max_length=100,
        unique=True,
        help_text=_("A stable identifier used by imports, e.g. how-to-ecp or service-00101."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ArticleKind.choices)
    service = models.ForeignKey(
        "registry.PublicService",
        verbose_name=_("public service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
    )
    owner = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("owner organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="knowledge_articles",
        help_text=_("The organisation responsible for the information."),
    )
    source = models.CharField(
        _("source"),
        max_length=20,
        choices=ArticleSource.choices,
        default=ArticleSource.CONTACT_CENTER,
    )
    source_reference = models.CharField(
        _("source reference"),
        max_length=1000,
        blank=True,
        help_text=_("The by-law, letter or notice the information comes from."),
    )
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    is_public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_("Shown on the public FAQ once published."),
    )
    related = models.ManyToManyField(
        "self", verbose_name=_("related articles"), blank=True, symmetrical=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["external_id"]
        indexes = [models.Index(fields=["kind"], name="knowledge_article_kind_idx")]

    def __str__(self) -> str:
        return self.external_id


class ArticleTranslation(models.Model):
    """One language version of an article with its own lifecycle (R5).

    ``title``/``keywords``/``body`` are the working copy (the latest saved revision); the
    ``published_*`` columns are a copy of the published revision, which operators read and the
    search indexes. Editing a published version leaves the published copy in place until the
    new revision is published.
    """

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=TranslationStatus.choices,
        default=TranslationStatus.DRAFT,
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    body = models.TextField(_("text"), blank=True)
    revision_number = models.PositiveIntegerField(_("current revision"), default=0)
    published_revision_number = models.PositiveIntegerField(
        _("published revision"), null=True, blank=True
    )
    published_title = models.CharField(_("published title"), max_length=300, blank=True)
    published_keywords = models.JSONField(_("published keywords"), default=list, blank=True)
    published_body = models.TextField(_("published text"), blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("article language version")
        verbose_name_plural = _("article language versions")
        ordering = ["article", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="knowledge_translation_once"
            ),
        ]
        indexes = [
            models.Index(fields=["status"], name="knowledge_translation_status"),
            models.Index(
                fields=["language"],
                condition=Q(published_revision_number__isnull=False),
                name="knowledge_translation_live",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}:{self.language}"

    @property
    def is_live(self) -> bool:
        """Operators see this version (a published revision is in force)."""
        return self.published_revision_number is not None

    @property
    def has_unpublished_changes(self) -> bool:
        return self.is_live and self.revision_number != self.published_revision_number


class ArticleRevision(models.Model):
    """Every saved version of a language version: who, when, why and what (R5)."""

    translation = models.ForeignKey(
        ArticleTranslation,
        verbose_name=_("article language version"),
        on_delete=models.CASCADE,
        related_name="revisions",
    )
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    body = models.TextField(_("text"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=TranslationStatus.choices,
        default=TranslationStatus.DRAFT,
    )
    comment = models.CharField(_("why"), max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved"))
    submitted_at = models.DateTimeField(_("submitted for review"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=1000, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["translation", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["translation", "number"], name="knowledge_revision_number_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.translation} #{self.number}"


def attachment_path(instance: ArticleAttachment, filename: str) -> str:
    return f"knowledge/{instance.article_id}/{filename}"


class ArticleAttachment(models.Model):
    """A file attached to an article (a form, a scheme), in one language or in all."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    title = models.CharField(_("title"), max_length=300)
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=Language.choices,
        blank=True,
        help_text=_("Empty when the file serves every language."),
    )
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["article", "language", "title"]

    def __str__(self) -> str:
        return self.title


class ReviewFlag(models.Model):
    """An article to check because the law behind it changed (R23, Rules p.26)."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="review_flags"
    )
    reason = models.CharField(
        _("reason"), max_length=20, choices=FlagReason.choices, default=FlagReason.BYLAW_CHANGED
    )
    amendment = models.ForeignKey(
        "registry.ByLawAmendment",
        verbose_name=_("by-law amendment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    raised_at = models.DateTimeField(_("raised"))
    occurred_at = models.DateTimeField(_("change recorded"))
    due_at = models.DateTimeField(_("review due"))
    rule_id = models.PositiveIntegerField(_("rule version"))
    citation = models.CharField(_("citation"), max_length=200)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution = models.CharField(
        _("resolution"), max_length=10, choices=FlagResolution.choices, blank=True
    )
    resolution_note = models.CharField(_("note"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("review flag")
        verbose_name_plural = _("review flags")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "amendment"], name="knowledge_flag_once_per_amendment"
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(resolved_at__isnull=True),
                name="knowledge_flag_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article} ({self.get_reason_display()})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class SynonymGroup(TimeStampedModel):
    """Words, abbreviations and phrases that mean the same for the search (R6): ЦОН = ХҚКО."""

    terms = models.JSONField(
        _("terms"), default=list, help_text=_("Two or more equivalent words or phrases.")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")
        ordering = ["pk"]

    def __str__(self) -> str:
        return " = ".join(str(term) for term in self.terms or [])


class IndexChange(models.Model):
    """The search-index change log: each process applies rows newer than the last it saw.

    Rows are written in the same transaction as the change they announce; writers take a lock
    first (see ``indexing.index_change_record``), so ids grow in commit order and a reader that
    has seen id N has seen every change up to N.
    """

    action = models.CharField(_("action"), max_length=10, choices=IndexAction.choices)
    article_id = models.BigIntegerField(_("article"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("search index change")
        verbose_name_plural = _("search index changes")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.article_id or ''}".strip()
