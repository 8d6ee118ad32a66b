"""The registry API under /api/v1/registry/: regions (R3), organisations (R1), public services with
their by-laws, change history and responsible persons (R4), acceptance state (R7).

Reading needs a signed-in person or an API key; private details follow ``accounts.access``.
Changes need ``access_can_manage_registry``: a contact center administrator anywhere, a body's
responsible person for its own organisation and the services it owns. Each endpoint parses the
input, calls one service or selector and formats the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router
from ninja.responses import Status

from qoldau.accounts.api_auth import actor_of
from qoldau.core.errors import FieldError, NotFound
from qoldau.registry import api_output as out
from qoldau.registry import selectors, services
from qoldau.registry import validators as v
from qoldau.registry.api_schemas import (
    AcceptanceIn,
    AmendmentIn,
    AmendmentOut,
    ByLawDetail,
    ByLawIn,
    ByLawPage,
    ContactIn,
    ContactOut,
    OrganisationIn,
    OrganisationOut,
    OrganisationPage,
    PersonIn,
    PersonOut,
    RegionOut,
    ReplaceIn,
    ServiceIn,
    ServiceOut,
    ServicePage,
)

router = Router(tags=["registry"])

MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000


def _page(
    queryset: QuerySet[Any], page: int, page_size: int, build: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    if not 1 <= page <= MAX_PAGE:
        raise FieldError("page", "invalid_page", _("Pages are numbered from 1."))
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise FieldError(
            "page_size",
            "invalid_page_size",
            v.message_with(_("A page holds 1 to %(limit)d items."), limit=MAX_PAGE_SIZE),
        )
    start = (page - 1) * page_size
    return {
        "count": queryset.count(),
        "page": page,
        "page_size": page_size,
        "items": [build(item) for item in queryset[start : start + page_size]],
    }


def _given(payload: Any) -> dict[str, Any]:
    """Only the fields the client sent (a PATCH leaves the others alone)."""
    return dict(payload.model_dump(exclude_unset=True))


def _id(value: str | None, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError as exc:
        raise FieldError(field, "invalid_id", _("Enter a whole number.")) from exc
    if not v.valid_pk(number):
        raise FieldError(field, "invalid_id", _("Enter a whole number."))
    return number


# --- regions --------------------------------------------------------------------------------


@router.get("/regions", response=list[RegionOut], summary="Regions with their KATO codes (R3)")
def list_regions(request: HttpRequest) -> list[dict[str, Any]]:
    return [out.region_out(region) for region in selectors.region_list()]


@router.get("/regions/{code}", response=RegionOut, summary="A region by KATO or ISO code")
def get_region(request: HttpRequest, code: str) -> dict[str, Any]:
    return out.region_out(selectors.region_get(code=code))


# --- organisations --------------------------------------------------------------------------


@router.get("/organisations", response=OrganisationPage, summary="Organisations (R1)")
def list_organisations(
    request: HttpRequest,
    query: str = "",
    kind: str | None = None,
    region: str | None = None,
    parent: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    organisations = selectors.organisation_list(
        query=query,
        kind=kind,
        region=selectors.region_for_filter(region),
        parent_id=_id(parent, "parent"),
    )
    return _page(organisations, page, page_size, out.organisation_item)


@router.get("/organisations/{organisation_id}", response=OrganisationOut)
def get_organisation(request: HttpRequest, organisation_id: int) -> dict[str, Any]:
    organisation = selectors.organisation_get(organisation_id=organisation_id)
    return out.organisation_out(organisation, actor_of(request))


@router.post("/organisations", response={201: OrganisationOut})
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Status[Any]:
    actor = actor_of(request)
    organisation = services.organisation_create(
        actor=actor, data=cast(services.OrganisationData, _given(payload))
    )
    created = selectors.organisation_get(organisation_id=organisation.pk)
    return Status(201, out.organisation_out(created, actor))


@router.patch("/organisations/{organisation_id}", response=OrganisationOut)
def update_organisation(
    request: HttpRequest, organisation_id: int, payload: OrganisationIn
) -> dict[str, Any]:
    actor = actor_of(request)
    services.organisation_update(
        actor=actor,
        organisation_id=organisation_id,
        data=cast(services.OrganisationData, _given(payload)),
    )
    return out.organisation_out(selectors.organisation_get(organisation_id=organisation_id), actor)


@router.post("/organisations/{organisation_id}/contacts", response={201: ContactOut})
def add_contact(request: HttpRequest, organisation_id: int, payload: ContactIn) -> Status[Any]:
    contact = services.organisation_contact_add(
        actor=actor_of(request),
        organisation_id=organisation_id,
        data=cast(services.ContactData, _given(payload)),
    )
    return Status(201, out.contact_out(contact))


@router.patch("/organisations/{organisation_id}/contacts/{contact_id}", response=ContactOut)
def update_contact(
    request: HttpRequest, organisation_id: int, contact_id: int, payload: ContactIn
) -> dict[str, Any]:
    _contact_of(organisation_id, contact_id)
    contact = services.organisation_contact_update(
        actor=actor_of(request),
        contact_id=contact_id,
        data=cast(services.ContactData, _given(payload)),
    )
    return out.contact_out(contact)


@router.delete("/organisations/{organisation_id}/contacts/{contact_id}", response={204: None})
def remove_contact(request: HttpRequest, organisation_id: int, contact_id: int) -> Status[None]:
    _contact_of(organisation_id, contact_id)
    services.organisation_contact_remove(actor=actor_of(request), contact_id=contact_id)
    return Status(204, None)


def _contact_of(organisation_id: int, contact_id: int) -> None:
    organisation = selectors.organisation_get(organisation_id=organisation_id)
    if not organisation.contacts.filter(pk=contact_id).exists():
        raise NotFound("not_found", _("Not found."))


# --- public services ------------------------------------------------------------------------


@router.get("/services", response=ServicePage, summary="Public services (R4)")
def list_services(
    request: HttpRequest,
    query: str = "",
    organisation: str | None = None,
    region: str | None = None,
    status: str | None = None,
    bylaw: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    found = selectors.service_list(
        query=query,
        organisation_id=_id(organisation, "organisation"),
        region=selectors.region_for_filter(region),
        status=status,
        bylaw_id=_id(bylaw, "bylaw"),
    ).prefetch_related("providers")
    return _page(found, page, page_size, out.service_item)


@router.get("/services/{service_id}", response=ServiceOut, summary="A service card (Annex 1)")
def get_service(request: HttpRequest, service_id: int) -> dict[str, Any]:
    return out.service_out(selectors.service_get(service_id=service_id), actor_of(request))


@router.post("/services", response={201: ServiceOut})
def create_service(request: HttpRequest, payload: ServiceIn) -> Status[Any]:
    actor = actor_of(request)
    service = services.service_create(actor=actor, data=cast(services.ServiceData, _given(payload)))
    return Status(201, out.service_out(selectors.service_get(service_id=service.pk), actor))


@router.patch("/services/{service_id}", response=ServiceOut)
def update_service(request: HttpRequest, service_id: int, payload: ServiceIn) -> dict[str, Any]:
    actor = actor_of(request)
    services.service_update(
        actor=actor,
        service_id=service_id,
        data=cast(services.ServiceData, _given(payload)),
    )
    return out.service_out(selectors.service_get(service_id=service_id), actor)


@router.post(
    "/services/{service_id}/acceptance",
    response=ServiceOut,
    summary="Move a service along its acceptance for consultation (R7; administrators)",
)
def set_acceptance(request: HttpRequest, service_id: int, payload: AcceptanceIn) -> dict[str, Any]:
    actor = actor_of(request)
    collector = v.Collector()
    signed = collector.run(lambda: v.date(payload.protocol_signed_on, "protocol_signed_on"), None)
    start = collector.run(lambda: v.date(payload.consultation_from, "consultation_from"), None)
    collector.raise_if_any()
    services.service_set_acceptance(
        actor=actor,
        service_id=service_id,
        status=payload.status,
        protocol_signed_on=signed,
        consultation_from=start,
    )
    return out.service_out(selectors.service_get(service_id=service_id), actor)


@router.post("/services/{service_id}/responsible-persons", response={201: PersonOut})
def appoint_person(request: HttpRequest, service_id: int, payload: PersonIn) -> Status[Any]:
    actor = actor_of(request)
    service = selectors.service_get(service_id=service_id)
    data = _given(payload)
    data.setdefault("organisation_id", service.owner_id)
    data["service_ids"] = sorted({service_id, *(data.get("service_ids") or [])})
    person = services.responsible_person_appoint(actor=actor, data=cast(services.PersonData, data))
    return Status(201, _person(person.pk, actor))


@router.post("/responsible-persons/{person_id}/replace", response={201: PersonOut})
def replace_person(request: HttpRequest, person_id: int, payload: ReplaceIn) -> Status[Any]:
    actor = actor_of(request)
    successor = payload.successor.model_dump(exclude_unset=True) if payload.successor else None
    new = services.responsible_person_replace(
        actor=actor,
        person_id=person_id,
        replaced_on=payload.replaced_on or "",
        successor=cast(services.PersonData | None, successor),
        successor_id=payload.successor_id,
    )
    return Status(201, _person(new.pk, actor))


def _person(person_id: int, actor: Any) -> dict[str, Any]:
    person = selectors.responsible_person_get(person_id=person_id)
    visible = selectors.person_contacts_visible(person, actor)
    return {
        "id": person.pk,
        "organisation_id": person.organisation_id,
        "full_name": person.full_name,
        "position": person.position,
        "position_kk": person.position_kk,
        "position_ru": person.position_ru,
        "phones": list(person.phones or []) if visible else None,
        "email": person.email if visible else None,
        "contacts_visible": visible,
        "appointed_on": person.appointed_on,
        "replaced_on": person.replaced_on,
        "replaced_by_id": person.replaced_by_id,
        "is_current": person.is_current,
    }


# --- by-laws --------------------------------------------------------------------------------


@router.get("/bylaws", response=ByLawPage, summary="By-laws that set services' procedures")
def list_bylaws(
    request: HttpRequest,
    query: str = "",
    kind: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    return _page(selectors.bylaw_list(query=query, kind=kind), page, page_size, out.bylaw_item)


@router.get("/bylaws/{bylaw_id}", response=ByLawDetail, summary="A by-law and its changes")
def get_bylaw(request: HttpRequest, bylaw_id: int) -> dict[str, Any]:
    return out.bylaw_detail(selectors.bylaw_get(bylaw_id=bylaw_id))


@router.post("/bylaws", response={201: ByLawDetail})
def create_bylaw(request: HttpRequest, payload: ByLawIn) -> Status[Any]:
    bylaw = services.bylaw_create(
        actor=actor_of(request), data=cast(services.ByLawData, _given(payload))
    )
    return Status(201, out.bylaw_detail(selectors.bylaw_get(bylaw_id=bylaw.pk)))


@router.post(
    "/bylaws/{bylaw_id}/amendments",
    response={201: AmendmentOut},
    summary="Record a change to a by-law (Rules p.26, R23)",
)
def record_amendment(request: HttpRequest, bylaw_id: int, payload: AmendmentIn) -> Status[Any]:
    amendment = services.service_record_bylaw_change(
        actor=actor_of(request),
        bylaw_id=bylaw_id,
        data=cast(services.AmendmentData, _given(payload)),
    )
    return Status(201, out.amendment_out(amendment))
