"""Writes of the registry. Each use case is one transaction with its audit event (DESIGN §1-2, §9).

``actor`` is the signed-in user or API key doing the change, or None for the system itself
(data migrations, demo data, other apps' background work), which is not checked for permission.
Raw input is cleaned by ``cleaning.py``; bad input raises ``ValidationFailed`` naming every field
and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.access import access_can_manage_registry, access_require_role
from qoldau.accounts.enums import Role
from qoldau.audit.services import audit_record
from qoldau.core.errors import Conflict, FieldError, NotFound, PermissionDenied
from qoldau.core.events import publish
from qoldau.registry import cleaning
from qoldau.registry.enums import AcceptanceStatus
from qoldau.registry.inputs import AmendmentData as AmendmentData
from qoldau.registry.inputs import ByLawData as ByLawData
from qoldau.registry.inputs import ContactData as ContactData
from qoldau.registry.inputs import OrganisationData as OrganisationData
from qoldau.registry.inputs import PersonData as PersonData
from qoldau.registry.inputs import ServiceData as ServiceData
from qoldau.registry.models import (
    ByLaw,
    ByLawAmendment,
    Organisation,
    OrganisationContact,
    PublicService,
    ResponsiblePerson,
)
from qoldau.registry.transitions import acceptance_can_move
from qoldau.registry.validators import Collector, date, search_fold, valid_pk

M = TypeVar("M", bound=models.Model)


# The event announced after a by-law change (R23); see service_record_bylaw_change.
BYLAW_CHANGED = "registry.bylaw_changed"

# Fields only the contact center's administrators change; a body's own staff may not (R2).
_ADMIN_ONLY_ORGANISATION_FIELDS = ("kind", "bin", "parent_id", "is_active")


def _forbidden(field: str | None = None) -> PermissionDenied:
    return PermissionDenied(
        "forbidden", _("You may not change this part of the registry."), field=field
    )


def _require_manage(actor: Any, organisation_id: int | None) -> None:
    if actor is not None and not access_can_manage_registry(actor, organisation_id):
        raise _forbidden()


def _is_registry_admin(actor: Any) -> bool:
    return actor is None or access_can_manage_registry(actor, None)


def _assign(instance: Any, cleaned: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set the cleaned values; return ``{field: [old, new]}`` of those that changed."""
    changes: dict[str, list[Any]] = {}
    for field, value in cleaned.items():
        old = getattr(instance, field)
        if old != value:
            changes[field] = [old, value]
            setattr(instance, field, value)
    return changes


def _audit_value(value: Any) -> Any:
    return getattr(value, "kato", value)  # a region is recorded by its KATO code


def _audited(changes: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
    return {f: [_audit_value(old), _audit_value(new)] for f, (old, new) in changes.items()}


def _save(instance: Any, changes: Mapping[str, Any], *extra: str) -> None:
    fields = [("region_id" if f == "region" else f) for f in changes]
    if hasattr(instance, "updated_at"):
        fields.append("updated_at")
    instance.save(update_fields=[*fields, *extra])


# --- organisations (R1) ---------------------------------------------------------------------


def _organisation_search(org: Organisation) -> str:
    return search_fold(
        org.name_kk,
        org.name_ru,
        org.name_en,
        org.short_name_kk,
        org.short_name_ru,
        org.short_name_en,
        org.bin,
    )


def organisation_create(*, actor: Any, data: OrganisationData) -> Organisation:
    _require_manage(actor, None)
    with transaction.atomic():
        cleaned = cleaning.clean_organisation(data)
        organisation = Organisation(**cleaned)
        organisation.search_text = _organisation_search(organisation)
        organisation.save()
        audit_record(
            actor=actor,
            action="registry.organisation_created",
            target=organisation,
            changes={f: _audit_value(value) for f, value in cleaned.items()},
        )
    return organisation


def organisation_update(
    *, actor: Any, organisation_id: int, data: OrganisationData
) -> Organisation:
    with transaction.atomic():
        organisation = _locked(Organisation, organisation_id)
        _require_manage(actor, organisation.pk)
        if not _is_registry_admin(actor):
            for field in _ADMIN_ONLY_ORGANISATION_FIELDS:
                if field in data:
                    raise _forbidden(field)
        cleaned = cleaning.clean_organisation(data, instance=organisation)
        changes = _assign(organisation, cleaned)
        if changes:
            organisation.search_text = _organisation_search(organisation)
            _save(organisation, changes, "search_text")
            audit_record(
                actor=actor,
                action="registry.organisation_updated",
                target=organisation,
                changes=_audited(changes),
            )
    return organisation


def _locked(model: type[M], pk: int) -> M:
    if not valid_pk(pk):
        raise NotFound("not_found", _("Not found."))
    instance = model._default_manager.select_for_update().filter(pk=pk).first()
    if instance is None:
        raise NotFound("not_found", _("Not found."))
    return instance


def organisation_contact_add(
    *, actor: Any, organisation_id: int, data: ContactData
) -> OrganisationContact:
    with transaction.atomic():
        organisation = _locked(Organisation, organisation_id)
        _require_manage(actor, organisation.pk)
        cleaned = cleaning.clean_contact(data)
        contact = OrganisationContact.objects.create(organisation=organisation, **cleaned)
        audit_record(
            actor=actor,
            action="registry.contact_added",
            target=organisation,
            changes={"contact_id": contact.pk, **cleaned},
        )
    return contact


def organisation_contact_update(
    *, actor: Any, contact_id: int, data: ContactData
) -> OrganisationContact:
    with transaction.atomic():
        contact = _locked(OrganisationContact, contact_id)
        _require_manage(actor, contact.organisation_id)
        changes = _assign(contact, cleaning.clean_contact(data, instance=contact))
        if changes:
            contact.save(update_fields=list(changes))
            audit_record(
                actor=actor,
                action="registry.contact_updated",
                target=contact.organisation,
                changes={"contact_id": contact.pk, **changes},
            )
    return contact


def organisation_contact_remove(*, actor: Any, contact_id: int) -> None:
    with transaction.atomic():
        contact = _locked(OrganisationContact, contact_id)
        _require_manage(actor, contact.organisation_id)
        organisation = contact.organisation
        removed = {"contact_id": contact.pk, "kind": contact.kind, "value": contact.value}
        contact.delete()
        audit_record(
            actor=actor, action="registry.contact_removed", target=organisation, changes=removed
        )


# --- by-laws and their history (Annex 1 col. 4-5, R23) ------------------------------------


def _bylaw_search(bylaw: ByLaw) -> str:
    return search_fold(
        bylaw.title_kk,
        bylaw.title_ru,
        bylaw.title_en,
        bylaw.number,
        bylaw.justice_registration_number,
    )


def _require_manage_bylaw(actor: Any, bylaw: ByLaw | None) -> None:
    """Administrators change any by-law; a body's responsible person those of its services."""
    if _is_registry_admin(actor):
        return
    owner_ids: set[int] = (
        set(bylaw.services.values_list("owner_id", flat=True)) if bylaw is not None else set()
    )
    own_id = getattr(actor, "organisation_id", None)
    if not owner_ids and own_id is not None:
        owner_ids = {own_id}
    if not any(access_can_manage_registry(actor, owner_id) for owner_id in owner_ids):
        raise _forbidden()


def bylaw_create(*, actor: Any, data: ByLawData) -> ByLaw:
    _require_manage_bylaw(actor, None)
    with transaction.atomic():
        cleaned = cleaning.clean_bylaw(data)
        bylaw = ByLaw(**cleaned)
        bylaw.search_text = _bylaw_search(bylaw)
        bylaw.save()
        audit_record(
            actor=actor, action="registry.bylaw_created", target=bylaw, changes=dict(cleaned)
        )
    return bylaw


def bylaw_update(*, actor: Any, bylaw_id: int, data: ByLawData) -> ByLaw:
    with transaction.atomic():
        bylaw = _locked(ByLaw, bylaw_id)
        _require_manage_bylaw(actor, bylaw)
        changes = _assign(bylaw, cleaning.clean_bylaw(data, instance=bylaw))
        if changes:
            bylaw.search_text = _bylaw_search(bylaw)
            _save(bylaw, changes, "search_text")
            audit_record(
                actor=actor, action="registry.bylaw_updated", target=bylaw, changes=changes
            )
    return bylaw


def bylaw_upsert(*, actor: Any, data: ByLawData) -> tuple[ByLaw, bool]:
    """The by-law with the same Ministry of Justice number (or kind, number and date), updated
    from ``data``, or a new one; returns it and whether it was created (used by the import)."""
    collector = Collector()
    adopted_on = collector.run(lambda: date(data.get("adopted_on"), "adopted_on"), None)
    collector.raise_if_any()
    existing = cleaning.bylaw_find(
        justice_registration_number=str(data.get("justice_registration_number") or "").strip(),
        kind=str(data.get("kind") or ""),
        number=str(data.get("number") or "").strip(),
        adopted_on=adopted_on,
    )
    if existing is None:
        return bylaw_create(actor=actor, data=data), True
    return bylaw_update(actor=actor, bylaw_id=existing.pk, data=data), False


def service_record_bylaw_change(
    *, actor: Any, bylaw_id: int, data: AmendmentData
) -> ByLawAmendment:
    """Append a change to a by-law's history (Annex 1 col. 5, Rules p.26, R23).

    The audit event ``registry.bylaw_amended`` names every service under the by-law, and the
    in-process event ``registry.bylaw_changed`` (``core.events``) is published in the same
    transaction with ``bylaw_id``, ``amendment_id``, ``service_ids``, ``amended_on``,
    ``in_force_from``, ``occurred_at`` (when it was recorded) and ``actor``, so the knowledge
    base flags the articles it touches.
    """
    with transaction.atomic():
        bylaw = _locked(ByLaw, bylaw_id)
        _require_manage_bylaw(actor, bylaw)
        cleaned = cleaning.clean_amendment(data, bylaw=bylaw)
        amendment = ByLawAmendment.objects.create(bylaw=bylaw, **cleaned)
        services = list(bylaw.services.order_by("pk").values_list("pk", "register_number"))
        service_ids = [pk for pk, _number in services]
        audit_record(
            actor=actor,
            action="registry.bylaw_amended",
            target=bylaw,
            changes={
                "amendment_id": amendment.pk,
                **cleaned,
                "service_ids": service_ids,
                "register_numbers": [number for _pk, number in services],
            },
        )
        # R23: subscribers (the knowledge base) flag what the change touches, in this transaction.
        publish(
            BYLAW_CHANGED,
            bylaw_id=bylaw.pk,
            amendment_id=amendment.pk,
            service_ids=service_ids,
            amended_on=amendment.amended_on,
            in_force_from=amendment.in_force_from,
            occurred_at=amendment.recorded_at,
            actor=actor,
        )
    return amendment


# --- public services (R4) -------------------------------------------------------------------


def _service_search(service: PublicService) -> str:
    return search_fold(service.register_number, service.name_kk, service.name_ru, service.name_en)


def service_create(*, actor: Any, data: ServiceData) -> PublicService:
    with transaction.atomic():
        cleaned = cleaning.clean_service(data)
        _require_manage(actor, cleaned["owner_id"])
        provider_ids = cleaned.pop("provider_ids") or []
        service = PublicService(**cleaned)
        service.search_text = _service_search(service)
        service.save()
        service.providers.set(provider_ids)
        audit_record(
            actor=actor,
            action="registry.service_created",
            target=service,
            changes={**cleaned, "provider_ids": provider_ids},
        )
    return service


def service_update(*, actor: Any, service_id: int, data: ServiceData) -> PublicService:
    with transaction.atomic():
        service = _locked(PublicService, service_id)
        _require_manage(actor, service.owner_id)
        cleaned = cleaning.clean_service(data, instance=service)
        if "owner_id" in cleaned:
            _require_manage(actor, cleaned["owner_id"])
        provider_ids = cleaned.pop("provider_ids", None)
        changes = _assign(service, cleaned)
        if changes:
            service.search_text = _service_search(service)
            _save(service, changes, "search_text")
        if provider_ids is not None:
            before = sorted(service.providers.values_list("pk", flat=True))
            if before != provider_ids:
                service.providers.set(provider_ids)
                changes["provider_ids"] = [before, provider_ids]
        if changes:
            audit_record(
                actor=actor, action="registry.service_updated", target=service, changes=changes
            )
    return service


def service_set_acceptance(
    *,
    actor: Any,
    service_id: int,
    status: str,
    protocol_signed_on: dt.date | None = None,
    consultation_from: dt.date | None = None,
) -> PublicService:
    """Move a service along its acceptance for consultation (R7, R22; Rules p.19-23).

    Only the moves in ``transitions.ACCEPTANCE_TRANSITIONS`` are allowed. Accepting needs the
    date the protocol was signed (p.22); consulting needs the date it starts from (p.23).
    """
    if actor is not None:
        access_require_role(actor, Role.UCC_ADMIN)
    with transaction.atomic():
        service = _locked(PublicService, service_id)
        before = service.acceptance_status
        if status not in AcceptanceStatus.values:
            raise FieldError("status", "invalid_choice", _("Choose one of the listed values."))
        if not acceptance_can_move(before, status):
            raise Conflict(
                "transition_not_allowed",
                _("The service cannot move to this state from its current one."),
                field="status",
            )
        if status in {AcceptanceStatus.SUBMITTED, AcceptanceStatus.NOT_SUBMITTED}:
            service.protocol_signed_on = None
            service.consultation_from = None
        service.protocol_signed_on = protocol_signed_on or service.protocol_signed_on
        service.consultation_from = consultation_from or service.consultation_from
        _check_acceptance_dates(service, status)
        service.acceptance_status = status
        service.save(
            update_fields=[
                "acceptance_status",
                "protocol_signed_on",
                "consultation_from",
                "updated_at",
            ]
        )
        audit_record(
            actor=actor,
            action="registry.service_acceptance_changed",
            target=service,
            changes={
                "acceptance_status": [before, status],
                "protocol_signed_on": service.protocol_signed_on,
                "consultation_from": service.consultation_from,
            },
        )
    return service


def _check_acceptance_dates(service: PublicService, status: str) -> None:
    needs_protocol = status in {AcceptanceStatus.ACCEPTED, AcceptanceStatus.CONSULTING}
    if needs_protocol and service.protocol_signed_on is None:
        raise FieldError(
            "protocol_signed_on", "required", _("Give the date the protocol was signed.")
        )
    if status == AcceptanceStatus.CONSULTING and service.consultation_from is None:
        raise FieldError(
            "consultation_from", "required", _("Give the date consultation starts from.")
        )
    signed, start = service.protocol_signed_on, service.consultation_from
    if signed and start and start < signed:
        raise FieldError(
            "consultation_from",
            "before_protocol",
            _("Consultation cannot start before the protocol is signed."),
        )


# --- responsible persons (Rules p.20, p.27; R24) -------------------------------------------


def _check_services_of(organisation_id: int, service_ids: list[int]) -> None:
    related = set(
        PublicService.objects.filter(pk__in=service_ids, owner_id=organisation_id).values_list(
            "pk", flat=True
        )
    ) | set(
        PublicService.objects.filter(pk__in=service_ids, providers__pk=organisation_id).values_list(
            "pk", flat=True
        )
    )
    if set(service_ids) - related:
        raise FieldError(
            "service_ids",
            "not_related",
            _("The organisation neither owns nor provides this service."),
        )


def responsible_person_appoint(*, actor: Any, data: PersonData) -> ResponsiblePerson:
    """Record a newly appointed responsible person for some services (Rules p.20)."""
    with transaction.atomic():
        cleaned = cleaning.clean_person(data)
        _require_manage(actor, cleaned["organisation_id"])
        service_ids = cleaned.pop("service_ids") or []
        _check_services_of(cleaned["organisation_id"], service_ids)
        person = ResponsiblePerson.objects.create(**cleaned)
        person.services.set(service_ids)
        audit_record(
            actor=actor,
            action="registry.responsible_person_appointed",
            target=person,
            changes={
                "organisation_id": person.organisation_id,
                "service_ids": service_ids,
                "appointed_on": person.appointed_on,
            },
        )
    return person


def responsible_person_update(*, actor: Any, person_id: int, data: PersonData) -> ResponsiblePerson:
    """Correct a person's details (a new phone, a new position title)."""
    with transaction.atomic():
        person = _locked(ResponsiblePerson, person_id)
        _require_manage(actor, person.organisation_id)
        if "organisation_id" in data and data["organisation_id"] != person.organisation_id:
            raise FieldError(
                "organisation_id",
                "cannot_change",
                _("A person moving to another organisation is a replacement."),
            )
        cleaned = cleaning.clean_person(data, instance=person)
        service_ids = cleaned.pop("service_ids", None)
        changes = _assign(person, cleaned)
        if changes:
            _save(person, changes)
        if service_ids is not None:
            _check_services_of(person.organisation_id, service_ids)
            before = sorted(person.services.values_list("pk", flat=True))
            if before != service_ids:
                person.services.set(service_ids)
                changes["service_ids"] = [before, service_ids]
        if changes:
            audit_record(
                actor=actor,
                action="registry.responsible_person_updated",
                target=person,
                changes={"fields": sorted(changes)},  # contacts are personal data: names only
            )
    return person


def responsible_person_replace(
    *,
    actor: Any,
    person_id: int,
    replaced_on: dt.date | str,
    successor: PersonData | None = None,
    successor_id: int | None = None,
) -> ResponsiblePerson:
    """Record that a responsible person was replaced (Rules p.27, R24) and return the successor.

    The successor is a new person described by ``successor`` (organisation and services default
    to the predecessor's) or an existing current person ``successor_id``, who takes over the
    predecessor's current services. The predecessor stays in the history with the date.
    """
    with transaction.atomic():
        person = _locked(ResponsiblePerson, person_id)
        _require_manage(actor, person.organisation_id)
        if person.replaced_on is not None:
            raise Conflict(
                "already_replaced", _("This person has already been replaced."), field="person_id"
            )
        collector = Collector()
        when = collector.run(lambda: date(replaced_on, "replaced_on", required=True), None)
        collector.raise_if_any()
        assert when is not None
        if person.appointed_on and when < person.appointed_on:
            raise FieldError(
                "replaced_on",
                "before_appointment",
                _("A person cannot be replaced before being appointed."),
            )
        service_ids = sorted(person.services.values_list("pk", flat=True))
        if successor_id is not None:
            new = _existing_successor(actor, person, successor_id)
            new.services.add(*service_ids)
        else:
            data: dict[str, Any] = {
                "organisation_id": person.organisation_id,
                "appointed_on": when,
                "service_ids": service_ids,
                **(successor or {}),
            }
            cleaned = cleaning.clean_person(data)
            _require_manage(actor, cleaned["organisation_id"])
            ids = cleaned.pop("service_ids") or []
            _check_services_of(cleaned["organisation_id"], ids)
            new = ResponsiblePerson.objects.create(**cleaned)
            new.services.set(ids)
        person.replaced_on = when
        person.replaced_by = new
        person.save(update_fields=["replaced_on", "replaced_by", "updated_at"])
        audit_record(
            actor=actor,
            action="registry.responsible_person_replaced",
            target=person,
            changes={"replaced_on": when, "successor_id": new.pk, "service_ids": service_ids},
        )
    return new


def _existing_successor(actor: Any, person: ResponsiblePerson, pk: int) -> ResponsiblePerson:
    new = ResponsiblePerson.objects.filter(pk=pk, replaced_on__isnull=True).first()
    if new is None or new.pk == person.pk:
        raise FieldError("successor_id", "unknown_person", _("No such current person."))
    _require_manage(actor, new.organisation_id)
    return new
