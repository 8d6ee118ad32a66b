"""The registry: regions (R3), participants (R1) and public services with Annex 1 fields (R4).

Models hold data only: every write goes through ``services.py`` (which also keeps the
``search_text`` columns filled), every read through ``selectors.py``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qoldau.core.i18n import localized
from qoldau.core.models import TimeStampedModel
from qoldau.registry.enums import (
    AcceptanceStatus,
    ByLawKind,
    ContactKind,
    OrganisationKind,
    RegionKind,
)


class Region(models.Model):
    """One of the 17 regions and 3 cities of republican significance, with its KATO code (R3)."""

    iso_code = models.CharField(_("ISO 3166-2 code"), max_length=6, unique=True)
    kato = models.CharField(_("KATO code"), max_length=9, unique=True)
    kato_checked = models.BooleanField(_("KATO code checked"), default=False)
    kind = models.CharField(_("kind"), max_length=10, choices=RegionKind.choices)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=120)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["kato"]

    def __str__(self) -> str:
        return localized(self, "name")


class Organisation(TimeStampedModel):
    """A participant of R1: the contact center, a state body, a provider, the ICI operator."""

    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=300)
    name_ru = models.CharField(_("name (Russian)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    short_name_kk = models.CharField(_("short name (Kazakh)"), max_length=120, blank=True)
    short_name_ru = models.CharField(_("short name (Russian)"), max_length=120, blank=True)
    short_name_en = models.CharField(_("short name (English)"), max_length=120, blank=True)
    bin = models.CharField(_("BIN"), max_length=12, unique=True, null=True, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("A ministry for its committee, an akimat for its department."),
    )
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    address_kk = models.CharField(_("address (Kazakh)"), max_length=500, blank=True)
    address_ru = models.CharField(_("address (Russian)"), max_length=500, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    search_text = models.TextField(editable=False, default="", blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name_ru"]
        indexes = [models.Index(fields=["kind"], name="registry_org_kind_idx")]

    def __str__(self) -> str:
        return localized(self, "name")

    @property
    def short_name(self) -> str:
        return localized(self, "short_name") or localized(self, "name")


class OrganisationContact(models.Model):
    """A phone, e-mail, address or website of an organisation. Private contacts are shown only
    to the organisation itself, the contact center and the authorized bodies (R2)."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    value = models.CharField(_("value"), max_length=300)
    label_kk = models.CharField(_("label (Kazakh)"), max_length=200, blank=True)
    label_ru = models.CharField(_("label (Russian)"), max_length=200, blank=True)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    is_public = models.BooleanField(
        _("public"),
        default=True,
        help_text=_("Public contacts are visible to everyone who is signed in."),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["organisation", "position", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    @property
    def label(self) -> str:
        return localized(self, "label")


class ByLaw(TimeStampedModel):
    """The by-law regulatory legal act that sets the procedure of a service (Annex 1, col. 4)."""

    kind = models.CharField(_("kind"), max_length=24, choices=ByLawKind.choices)
    title_kk = models.CharField(_("title (Kazakh)"), max_length=1000)
    title_ru = models.CharField(_("title (Russian)"), max_length=1000)
    title_en = models.CharField(_("title (English)"), max_length=1000, blank=True)
    number = models.CharField(_("number"), max_length=40)
    adopted_on = models.DateField(_("date"))
    justice_registration_number = models.CharField(
        _("registration number with the Ministry of Justice"), max_length=20, blank=True
    )
    url = models.URLField(_("link to the text"), max_length=500, blank=True)
    search_text = models.TextField(editable=False, default="", blank=True)

    class Meta:
        verbose_name = _("by-law")
        verbose_name_plural = _("by-laws")
        ordering = ["-adopted_on", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["justice_registration_number"],
                condition=~Q(justice_registration_number=""),
                name="registry_bylaw_justice_number_unique",
            )
        ]

    def __str__(self) -> str:
        return f"№ {self.number} {self.adopted_on:%d.%m.%Y}"

    @property
    def title(self) -> str:
        return localized(self, "title")


class ByLawAmendment(models.Model):
    """One change to a by-law (Annex 1, col. 5); the history is append-only (R23, p.26)."""

    bylaw = models.ForeignKey(
        ByLaw, verbose_name=_("by-law"), on_delete=models.CASCADE, related_name="amendments"
    )
    amended_on = models.DateField(_("date of the amending act"))
    number = models.CharField(_("number of the amending act"), max_length=40)
    title_kk = models.CharField(_("title (Kazakh)"), max_length=1000)
    title_ru = models.CharField(_("title (Russian)"), max_length=1000)
    summary_kk = models.TextField(_("summary of the change (Kazakh)"), blank=True)
    summary_ru = models.TextField(_("summary of the change (Russian)"), blank=True)
    in_force_from = models.DateField(_("in force from"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("by-law amendment")
        verbose_name_plural = _("by-law amendments")
        ordering = ["bylaw", "amended_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bylaw", "number", "amended_on"], name="registry_amendment_once"
            )
        ]

    def __str__(self) -> str:
        return f"№ {self.number} {self.amended_on:%d.%m.%Y}"

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def summary(self) -> str:
        return localized(self, "summary")


class PublicService(TimeStampedModel):
    """A public service with the Annex 1 fields (R4) and its acceptance state (R7)."""

    register_number = models.CharField(
        _("number in the register of public services"), max_length=32, unique=True
    )
    name_kk = models.CharField(_("name (Kazakh)"), max_length=1000)
    name_ru = models.CharField(_("name (Russian)"), max_length=1000)
    name_en = models.CharField(_("name (English)"), max_length=1000, blank=True)
    owner = models.ForeignKey(
        Organisation,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_services",
        help_text=_("The central state body that approved the by-law (Rules p.20)."),
    )
    providers = models.ManyToManyField(
        Organisation,
        verbose_name=_("providers"),
        related_name="provided_services",
        blank=True,
    )
    info_url = models.URLField(_("internet resource with information"), max_length=500, blank=True)
    bylaw = models.ForeignKey(
        ByLaw,
        verbose_name=_("by-law"),
        on_delete=models.PROTECT,
        related_name="services",
        null=True,
        blank=True,
    )
    acceptance_status = models.CharField(
        _("acceptance for consultation"),
        max_length=16,
        choices=AcceptanceStatus.choices,
        default=AcceptanceStatus.NOT_SUBMITTED,
    )
    protocol_signed_on = models.DateField(_("protocol signed on"), null=True, blank=True)
    consultation_from = models.DateField(_("consulted on from"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    search_text = models.TextField(editable=False, default="", blank=True)

    class Meta:
        verbose_name = _("public service")
        verbose_name_plural = _("public services")
        ordering = ["register_number"]
        indexes = [models.Index(fields=["acceptance_status"], name="registry_service_status_idx")]

    def __str__(self) -> str:
        return f"{self.register_number} {localized(self, 'name')}"

    @property
    def name(self) -> str:
        return localized(self, "name")


class ResponsiblePerson(TimeStampedModel):
    """The person a state body or provider appoints for a service (Rules p.20, p.27; Annex 1
    col. 7-8). Past persons stay, with the date and the successor that replaced them."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="responsible_persons",
    )
    services = models.ManyToManyField(
        PublicService,
        verbose_name=_("public services"),
        related_name="responsible_persons",
        blank=True,
    )
    full_name = models.CharField(_("full name"), max_length=200)
    position_kk = models.CharField(_("position (Kazakh)"), max_length=300, blank=True)
    position_ru = models.CharField(_("position (Russian)"), max_length=300, blank=True)
    phones = models.JSONField(_("phones"), default=list, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    appointed_on = models.DateField(_("appointed on"), null=True, blank=True)
    replaced_on = models.DateField(_("replaced on"), null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self",
        verbose_name=_("replaced by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="predecessors",
    )

    class Meta:
        verbose_name = _("responsible person")
        verbose_name_plural = _("responsible persons")
        ordering = ["organisation", "replaced_on", "full_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def position(self) -> str:
        return localized(self, "position")

    @property
    def is_current(self) -> bool:
        return self.replaced_on is None
