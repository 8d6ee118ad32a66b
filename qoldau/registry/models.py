from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from qoldau.core.i18n import localized
from qoldau.core.models import TimeStampedModel
from qoldau.registry.enums import OrganisationKind, RegionKind


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
    bin = models.CharField(_("BIN"), max_length=12, unique=True, null=True, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True
    )
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name_ru"]

    def __str__(self) -> str:
        return localized(self, "name")
