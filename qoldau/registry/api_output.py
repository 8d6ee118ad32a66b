"""Turning registry objects into API bodies, in the reader's language, hiding what they may not
see (private contacts, responsible persons' phones and e-mails)."""

from __future__ import annotations

from typing import Any

from qoldau.accounts.access import access_can_read_organisation
from qoldau.core import clock
from qoldau.core.i18n import localized
from qoldau.registry import selectors
from qoldau.registry.models import (
    ByLaw,
    ByLawAmendment,
    Organisation,
    OrganisationContact,
    PublicService,
    Region,
)


def region_out(region: Region) -> dict[str, Any]:
    return {
        "id": region.pk,
        "kato": region.kato,
        "iso_code": region.iso_code,
        "kind": region.kind,
        "name": localized(region, "name"),
        "name_kk": region.name_kk,
        "name_ru": region.name_ru,
        "name_en": region.name_en,
        "kato_checked": region.kato_checked,
    }


def organisation_ref(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.pk,
        "kind": org.kind,
        "name": localized(org, "name"),
        "short_name": org.short_name,
        "bin": org.bin,
    }


def organisation_item(org: Organisation) -> dict[str, Any]:
    return {
        **organisation_ref(org),
        "name_kk": org.name_kk,
        "name_ru": org.name_ru,
        "name_en": org.name_en,
        "region": org.region.kato if org.region else None,
        "parent_id": org.parent_id,
        "is_active": org.is_active,
    }


def contact_out(contact: OrganisationContact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "kind": contact.kind,
        "value": contact.value,
        "label": contact.label,
        "label_kk": contact.label_kk,
        "label_ru": contact.label_ru,
        "label_en": contact.label_en,
        "is_public": contact.is_public,
    }


def organisation_out(org: Organisation, actor: Any) -> dict[str, Any]:
    contacts = selectors.organisation_contacts(organisation=org, actor=actor)
    return {
        **organisation_item(org),
        "short_name_kk": org.short_name_kk,
        "short_name_ru": org.short_name_ru,
        "short_name_en": org.short_name_en,
        "website": org.website,
        "email": org.email,
        "phone": org.phone,
        "address_kk": org.address_kk,
        "address_ru": org.address_ru,
        "contacts": [contact_out(c) for c in contacts],
        "private_visible": access_can_read_organisation(actor, org.pk),
    }


def amendment_out(amendment: ByLawAmendment) -> dict[str, Any]:
    return {
        "id": amendment.pk,
        "amended_on": amendment.amended_on,
        "number": amendment.number,
        "title": amendment.title,
        "title_kk": amendment.title_kk,
        "title_ru": amendment.title_ru,
        "summary": amendment.summary,
        "summary_kk": amendment.summary_kk,
        "summary_ru": amendment.summary_ru,
        "in_force_from": amendment.in_force_from,
    }


def bylaw_item(bylaw: ByLaw) -> dict[str, Any]:
    return {
        "id": bylaw.pk,
        "kind": bylaw.kind,
        "title": bylaw.title,
        "title_kk": bylaw.title_kk,
        "title_ru": bylaw.title_ru,
        "title_en": bylaw.title_en,
        "number": bylaw.number,
        "adopted_on": bylaw.adopted_on,
        "justice_registration_number": bylaw.justice_registration_number,
        "url": bylaw.url,
    }


def bylaw_out(bylaw: ByLaw) -> dict[str, Any]:
    return {**bylaw_item(bylaw), "amendments": [amendment_out(a) for a in bylaw.amendments.all()]}


def bylaw_detail(bylaw: ByLaw) -> dict[str, Any]:
    return {**bylaw_out(bylaw), "service_ids": [s.pk for s in bylaw.services.all()]}


def service_item(service: PublicService) -> dict[str, Any]:
    return {
        "id": service.pk,
        "register_number": service.register_number,
        "name": service.name,
        "name_kk": service.name_kk,
        "name_ru": service.name_ru,
        "name_en": service.name_en,
        "owner": organisation_ref(service.owner),
        "provider_ids": [p.pk for p in service.providers.all()],
        "bylaw_id": service.bylaw_id,
        "acceptance_status": service.acceptance_status,
        "consultation_from": service.consultation_from,
        "is_active": service.is_active,
    }


def service_out(service: PublicService, actor: Any) -> dict[str, Any]:
    persons = selectors.service_responsible_persons(service=service, actor=actor)
    return {
        "id": service.pk,
        "register_number": service.register_number,
        "name": service.name,
        "name_kk": service.name_kk,
        "name_ru": service.name_ru,
        "name_en": service.name_en,
        "owner": organisation_ref(service.owner),
        "providers": [organisation_ref(p) for p in service.providers.all()],
        "info_url": service.info_url,
        "bylaw": bylaw_out(service.bylaw) if service.bylaw else None,
        "responsible_persons": [
            {
                "id": view.person.pk,
                "organisation_id": view.person.organisation_id,
                "full_name": view.person.full_name,
                "position": view.person.position,
                "position_kk": view.person.position_kk,
                "position_ru": view.person.position_ru,
                "phones": view.phones if view.contacts_visible else None,
                "email": view.email if view.contacts_visible else None,
                "contacts_visible": view.contacts_visible,
                "appointed_on": view.person.appointed_on,
                "replaced_on": view.person.replaced_on,
                "replaced_by_id": view.person.replaced_by_id,
                "is_current": view.person.is_current,
            }
            for view in persons
        ],
        "acceptance": {
            "status": service.acceptance_status,
            "status_label": str(service.get_acceptance_status_display()),
            "protocol_signed_on": service.protocol_signed_on,
            "consultation_from": service.consultation_from,
            "consultable_today": selectors.service_is_consultable(service, clock.today()),
        },
        "is_active": service.is_active,
    }
