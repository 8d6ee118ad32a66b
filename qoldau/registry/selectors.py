"""Reads of the registry. Lists are for everyone signed in; private details (private contacts,
responsible persons' phones and e-mails) only for the organisation itself, the contact center's
staff and the authorized bodies (R2), decided by ``accounts.access``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.access import access_can_read_organisation
from qoldau.core.errors import FieldError, NotFound
from qoldau.registry.enums import AcceptanceStatus, ByLawKind, OrganisationKind
from qoldau.registry.models import (
    ByLaw,
    ByLawAmendment,
    Organisation,
    OrganisationContact,
    PublicService,
    Region,
    ResponsiblePerson,
)
from qoldau.registry.validators import search_fold, strip_controls, valid_pk

# --- regions --------------------------------------------------------------------------------


def region_list() -> QuerySet[Region]:
    return Region.objects.order_by("kato")


def region_get(*, code: str) -> Region:
    """A region by KATO code, ISO 3166-2 code or primary key."""
    raw = strip_controls(str(code)).strip()[:20]
    query = Q(kato=raw) | Q(iso_code__iexact=raw)
    if raw.isdigit() and len(raw) < 9:
        query |= Q(pk=int(raw))
    region = Region.objects.filter(query).first()
    if region is None:
        raise NotFound("not_found", _("No region has this KATO code."), field="region")
    return region


def region_for_filter(code: str | None, field: str = "region") -> Region | None:
    if not code:
        return None
    try:
        return region_get(code=code)
    except NotFound as exc:
        raise FieldError(field, "unknown_region", _("No region has this KATO code.")) from exc


# --- organisations --------------------------------------------------------------------------


def organisation_list(
    *,
    query: str = "",
    kind: str | None = None,
    region: Region | None = None,
    parent_id: int | None = None,
    active_only: bool = False,
) -> QuerySet[Organisation]:
    if kind and kind not in OrganisationKind.values:
        raise FieldError("kind", "invalid_choice", _("Choose one of the listed values."))
    organisations = Organisation.objects.select_related("region", "parent")
    if query.strip():
        organisations = organisations.filter(search_text__contains=search_fold(query))
    if kind:
        organisations = organisations.filter(kind=kind)
    if region is not None:
        organisations = organisations.filter(region=region)
    if parent_id is not None:
        organisations = organisations.filter(parent_id=parent_id)
    if active_only:
        organisations = organisations.filter(is_active=True)
    return organisations.order_by("name_ru", "pk")


def organisation_get(*, organisation_id: int) -> Organisation:
    if not valid_pk(organisation_id):
        raise NotFound("not_found", _("No such organisation."))
    organisation = (
        Organisation.objects.select_related("region", "parent").filter(pk=organisation_id).first()
    )
    if organisation is None:
        raise NotFound("not_found", _("No such organisation."))
    return organisation


def organisation_get_by_bin(*, bin: str) -> Organisation | None:
    return Organisation.objects.filter(bin=bin).first()


def organisation_list_by_kind(*, kind: str) -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=kind, is_active=True).order_by("name_ru")


def contact_is_visible(contact: OrganisationContact, actor: Any) -> bool:
    return contact.is_public or access_can_read_organisation(actor, contact.organisation_id)


def organisation_contacts(*, organisation: Organisation, actor: Any) -> list[OrganisationContact]:
    """The organisation's contacts the actor may see: public ones, and private ones for the
    organisation itself, the contact center and the authorized bodies."""
    contacts = organisation.contacts.order_by("position", "pk")
    if not access_can_read_organisation(actor, organisation.pk):
        contacts = contacts.filter(is_public=True)
    return list(contacts)


# --- public services ------------------------------------------------------------------------


def service_list(
    *,
    query: str = "",
    organisation_id: int | None = None,
    region: Region | None = None,
    status: str | None = None,
    bylaw_id: int | None = None,
    active_only: bool = False,
) -> QuerySet[PublicService]:
    """Services by text, by organisation (owner or provider), by a provider's region."""
    if status and status not in AcceptanceStatus.values:
        raise FieldError("status", "invalid_choice", _("Choose one of the listed values."))
    services = PublicService.objects.select_related("owner", "bylaw")
    if query.strip():
        services = services.filter(search_text__contains=search_fold(query))
    if organisation_id is not None:
        provided = PublicService.objects.filter(providers__pk=organisation_id).values("pk")
        services = services.filter(Q(owner_id=organisation_id) | Q(pk__in=provided))
    if region is not None:
        in_region = PublicService.objects.filter(providers__region=region).values("pk")
        services = services.filter(pk__in=in_region)
    if status:
        services = services.filter(acceptance_status=status)
    if bylaw_id is not None:
        services = services.filter(bylaw_id=bylaw_id)
    if active_only:
        services = services.filter(is_active=True)
    return services.order_by("register_number")


def service_get(*, service_id: int) -> PublicService:
    """A service with everything its card shows, in a fixed number of queries."""
    if not valid_pk(service_id):
        raise NotFound("not_found", _("No such public service."))
    service = (
        PublicService.objects.select_related("owner", "bylaw")
        .prefetch_related(
            Prefetch("providers", queryset=Organisation.objects.select_related("region")),
            Prefetch(
                "bylaw__amendments", queryset=ByLawAmendment.objects.order_by("amended_on", "pk")
            ),
            Prefetch(
                "responsible_persons",
                queryset=ResponsiblePerson.objects.select_related(
                    "organisation", "replaced_by"
                ).order_by("replaced_on", "-appointed_on", "pk"),
            ),
        )
        .filter(pk=service_id)
        .first()
    )
    if service is None:
        raise NotFound("not_found", _("No such public service."))
    return service


def service_get_by_register_number(*, register_number: str) -> PublicService | None:
    return PublicService.objects.filter(register_number=register_number.strip()).first()


def service_is_consultable(service: PublicService, on: dt.date) -> bool:
    """R7: only a service accepted for consultation, from its start date, is consulted on."""
    return (
        service.acceptance_status == AcceptanceStatus.CONSULTING
        and service.consultation_from is not None
        and service.consultation_from <= on
    )


def service_list_consultable(*, on: dt.date) -> QuerySet[PublicService]:
    return service_list(status=AcceptanceStatus.CONSULTING, active_only=True).filter(
        consultation_from__lte=on
    )


def service_list_for_bylaw(*, bylaw_id: int) -> QuerySet[PublicService]:
    """The services whose procedure a by-law sets: those a change to it touches (R23)."""
    return service_list(bylaw_id=bylaw_id)


# --- responsible persons --------------------------------------------------------------------


@dataclass(frozen=True)
class PersonView:
    """A responsible person as a reader may see them: contacts only where allowed."""

    person: ResponsiblePerson
    contacts_visible: bool

    @property
    def phones(self) -> list[str]:
        return list(self.person.phones or []) if self.contacts_visible else []

    @property
    def email(self) -> str:
        return self.person.email if self.contacts_visible else ""


def person_contacts_visible(person: ResponsiblePerson, actor: Any) -> bool:
    return access_can_read_organisation(actor, person.organisation_id)


def service_responsible_persons(
    *, service: PublicService, actor: Any, current_only: bool = False
) -> list[PersonView]:
    """Current persons first, then past ones (Rules p.27), with contacts as allowed."""
    persons = list(service.responsible_persons.all())
    persons.sort(key=lambda p: (p.replaced_on is not None, p.replaced_on or dt.date.min))
    if current_only:
        persons = [p for p in persons if p.replaced_on is None]
    return [PersonView(p, person_contacts_visible(p, actor)) for p in persons]


def responsible_person_get(*, person_id: int) -> ResponsiblePerson:
    if not valid_pk(person_id):
        raise NotFound("not_found", _("No such responsible person."))
    person = (
        ResponsiblePerson.objects.select_related("organisation", "replaced_by")
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise NotFound("not_found", _("No such responsible person."))
    return person


def responsible_person_list(
    *, organisation_id: int | None = None, current_only: bool = True
) -> QuerySet[ResponsiblePerson]:
    persons = ResponsiblePerson.objects.select_related("organisation")
    if organisation_id is not None:
        persons = persons.filter(organisation_id=organisation_id)
    if current_only:
        persons = persons.filter(replaced_on__isnull=True)
    return persons.order_by("organisation__name_ru", "full_name")


# --- by-laws --------------------------------------------------------------------------------


def bylaw_list(*, query: str = "", kind: str | None = None) -> QuerySet[ByLaw]:
    if kind and kind not in ByLawKind.values:
        raise FieldError("kind", "invalid_choice", _("Choose one of the listed values."))
    bylaws = ByLaw.objects.all()
    if query.strip():
        bylaws = bylaws.filter(search_text__contains=search_fold(query))
    if kind:
        bylaws = bylaws.filter(kind=kind)
    return bylaws.order_by("-adopted_on", "pk")


def bylaw_get(*, bylaw_id: int) -> ByLaw:
    if not valid_pk(bylaw_id):
        raise NotFound("not_found", _("No such by-law."))
    bylaw = (
        ByLaw.objects.prefetch_related(
            Prefetch("amendments", queryset=ByLawAmendment.objects.order_by("amended_on", "pk")),
            Prefetch("services", queryset=PublicService.objects.order_by("register_number")),
        )
        .filter(pk=bylaw_id)
        .first()
    )
    if bylaw is None:
        raise NotFound("not_found", _("No such by-law."))
    return bylaw


def amendment_list_recorded_since(*, since: dt.datetime) -> QuerySet[ByLawAmendment]:
    """Changes recorded after ``since``: the knowledge base flags their services' articles (R23)."""
    return (
        ByLawAmendment.objects.select_related("bylaw")
        .filter(recorded_at__gt=since)
        .order_by("recorded_at", "pk")
    )
