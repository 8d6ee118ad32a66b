"""Choices of the knowledge base (R5): article kinds, sources, languages and the lifecycle."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ArticleKind(models.TextChoices):
    SERVICE_CARD = "service_card", _("Service card")
    PROCEDURE = "procedure", _("Procedure")
    HOW_TO = "how_to", _("E-government how-to")
    ICT_SERVICE = "ict_service", _("ICT service")
    COMPETENT_BODY = "competent_body", _("Competent body")


# Kinds a citizen may read on the public FAQ unless an editor says otherwise.
PUBLIC_BY_DEFAULT = frozenset({ArticleKind.HOW_TO, ArticleKind.COMPETENT_BODY})


class ArticleSource(models.TextChoices):
    """Where an article's information comes from (R5)."""

    BYLAW = "bylaw", _("By-law")
    ICI_OPERATOR = "ici_operator", _("E-government infrastructure operator (Rules p.17.2)")
    PROVIDER = "provider", _("Service provider (Rules p.25)")
    CONTACT_CENTER = "contact_center", _("Contact center")


class Language(models.TextChoices):
    KK = "kk", "Қазақша"
    RU = "ru", "Русский"
    EN = "en", "English"


class TranslationStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("article status", "Draft")
    IN_REVIEW = "in_review", pgettext_lazy("article status", "In review")
    PUBLISHED = "published", pgettext_lazy("article status", "Published")
    ARCHIVED = "archived", pgettext_lazy("article status", "Archived")


class FlagReason(models.TextChoices):
    BYLAW_CHANGED = "bylaw_changed", _("The by-law of the service changed")


class FlagResolution(models.TextChoices):
    PUBLISHED = "published", _("A new version was published")
    REVIEWED = "reviewed", _("Checked: the text stays as it is")


class IndexAction(models.TextChoices):
    """What a row of the search-index change log asks every process to do."""

    ARTICLE = "article", _("Re-read an article's published versions")
    SYNONYMS = "synonyms", _("Re-read the synonyms")
    REBUILD = "rebuild", _("Rebuild the whole index")
