"""Services: audited writes, the acceptance transitions table (R7), by-law changes (R23) and
the replacement of responsible persons (R24, Rules p.27)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from qoldau.audit.models import AuditEvent
from qoldau.core import events
from qoldau.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from qoldau.registry import selectors, services
from qoldau.registry.enums import AcceptanceStatus as S
from qoldau.registry.models import ResponsiblePerson
from qoldau.registry.tests.conftest import Partner
from qoldau.registry.tests.factories import (
    ByLawFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
)
from qoldau.registry.transitions import ACCEPTANCE_TRANSITIONS, acceptance_can_move

pytestmark = pytest.mark.django_db


def test_every_state_has_a_row_in_the_transitions_table() -> None:
    assert set(ACCEPTANCE_TRANSITIONS) == set(S.values)
    assert acceptance_can_move(S.NOT_SUBMITTED, S.SUBMITTED)
    assert not acceptance_can_move(S.NOT_SUBMITTED, S.CONSULTING)
    assert not acceptance_can_move(S.SUBMITTED, S.CONSULTING)


def test_only_the_table_moves_are_allowed_and_audited() -> None:
    service = ServiceFactory.create()
    with pytest.raises(Conflict):
        services.service_set_acceptance(actor=None, service_id=service.pk, status=S.ACCEPTED)
    services.service_set_acceptance(actor=None, service_id=service.pk, status=S.SUBMITTED)
    service.refresh_from_db()
    assert service.acceptance_status == S.SUBMITTED
    event = AuditEvent.objects.get(action="registry.service_acceptance_changed")
    assert event.changes["acceptance_status"] == ["not_submitted", "submitted"]


def test_consultable_only_when_consulting_from_its_date() -> None:
    service = ServiceFactory.create()
    for status in (S.SUBMITTED, S.TRAINING):
        services.service_set_acceptance(actor=None, service_id=service.pk, status=status)
    services.service_set_acceptance(
        actor=None, service_id=service.pk, status=S.ACCEPTED,
        protocol_signed_on=dt.date(2024, 3, 1),
    )  # fmt: skip
    service.refresh_from_db()
    assert not selectors.service_is_consultable(service, dt.date(2024, 4, 1))
    services.service_set_acceptance(
        actor=None, service_id=service.pk, status=S.CONSULTING,
        consultation_from=dt.date(2024, 3, 11),
    )  # fmt: skip
    service.refresh_from_db()
    assert not selectors.service_is_consultable(service, dt.date(2024, 3, 10))
    assert selectors.service_is_consultable(service, dt.date(2024, 3, 11))
    assert list(selectors.service_list_consultable(on=dt.date(2024, 3, 11))) == [service]
    services.service_set_acceptance(actor=None, service_id=service.pk, status=S.WITHDRAWN)
    service.refresh_from_db()
    assert not selectors.service_is_consultable(service, dt.date(2024, 5, 1))


def test_resubmission_clears_the_old_protocol() -> None:
    service = ServiceFactory.create(
        acceptance_status=S.WITHDRAWN,
        protocol_signed_on=dt.date(2023, 1, 1),
        consultation_from=dt.date(2023, 1, 10),
    )
    services.service_set_acceptance(actor=None, service_id=service.pk, status=S.SUBMITTED)
    service.refresh_from_db()
    assert service.protocol_signed_on is None
    assert service.consultation_from is None


def test_unknown_status_names_the_field() -> None:
    service = ServiceFactory.create()
    with pytest.raises(FieldError) as caught:
        services.service_set_acceptance(actor=None, service_id=service.pk, status="done")
    assert caught.value.field == "status"


def test_bylaw_change_is_appended_and_names_affected_services() -> None:
    bylaw = ByLawFactory.create(adopted_on=dt.date(2020, 4, 20))
    first, second = ServiceFactory.create(bylaw=bylaw), ServiceFactory.create(bylaw=bylaw)
    amendment = services.service_record_bylaw_change(
        actor=None,
        bylaw_id=bylaw.pk,
        data={
            "amended_on": "2023-05-02",
            "number": "15",
            "title_kk": "Өзгерістер енгізу туралы",
            "title_ru": "О внесении изменений",
            "summary_ru": "Сокращён срок",
        },
    )
    assert amendment.bylaw == bylaw
    event = AuditEvent.objects.get(action="registry.bylaw_amended")
    assert event.changes["service_ids"] == [first.pk, second.pk]
    since = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert list(selectors.amendment_list_recorded_since(since=since)) == [amendment]
    assert set(selectors.service_list_for_bylaw(bylaw_id=bylaw.pk)) == {first, second}


def test_bylaw_change_is_announced_to_subscribers(monkeypatch: pytest.MonkeyPatch) -> None:
    received: list[dict[str, Any]] = []

    def record(**payload: Any) -> None:
        received.append(payload)

    handlers: list[events.Handler] = [record]
    monkeypatch.setitem(events._handlers, services.BYLAW_CHANGED, handlers)
    bylaw = ByLawFactory.create(adopted_on=dt.date(2020, 4, 20))
    service = ServiceFactory.create(bylaw=bylaw)
    amendment = services.service_record_bylaw_change(
        actor=None,
        bylaw_id=bylaw.pk,
        data={"amended_on": "2023-05-02", "number": "16", "title_kk": "Т", "title_ru": "Т",
              "in_force_from": "2023-05-15"},
    )  # fmt: skip
    assert received == [
        {
            "bylaw_id": bylaw.pk,
            "amendment_id": amendment.pk,
            "service_ids": [service.pk],
            "amended_on": dt.date(2023, 5, 2),
            "in_force_from": dt.date(2023, 5, 15),
            "occurred_at": amendment.recorded_at,
            "actor": None,
        }
    ]


def test_a_failing_subscriber_rolls_the_change_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(**payload: Any) -> None:
        raise RuntimeError("knowledge base unavailable")

    handlers: list[events.Handler] = [refuse]
    monkeypatch.setitem(events._handlers, services.BYLAW_CHANGED, handlers)
    bylaw = ByLawFactory.create(adopted_on=dt.date(2020, 4, 20))
    with pytest.raises(RuntimeError):
        services.service_record_bylaw_change(
            actor=None,
            bylaw_id=bylaw.pk,
            data={"amended_on": "2023-05-02", "number": "17", "title_kk": "Т", "title_ru": "Т"},
        )
    assert not bylaw.amendments.exists()
    assert not AuditEvent.objects.filter(action="registry.bylaw_amended").exists()


def test_bylaw_change_before_the_bylaw_is_refused() -> None:
    bylaw = ByLawFactory.create(adopted_on=dt.date(2020, 4, 20))
    with pytest.raises(ValidationFailed) as caught:
        services.service_record_bylaw_change(
            actor=None,
            bylaw_id=bylaw.pk,
            data={"amended_on": "2019-01-01", "number": "1", "title_kk": "", "title_ru": "Т"},
        )
    assert {e.field for e in caught.value.errors} == {"amended_on", "title_kk"}
    assert not bylaw.amendments.exists()


def test_replacement_keeps_history_and_moves_services() -> None:
    owner = OrganisationFactory.create()
    service_a, service_b = ServiceFactory.create(owner=owner), ServiceFactory.create(owner=owner)
    old = PersonFactory.create(organisation=owner, services=[service_a, service_b])
    new = services.responsible_person_replace(
        actor=None,
        person_id=old.pk,
        replaced_on="2024-02-01",
        successor={"full_name": "Сулейменова Динара Маратовна", "phones": "8 702 111 22 33"},
    )
    old.refresh_from_db()
    assert old.replaced_on == dt.date(2024, 2, 1)
    assert old.replaced_by == new
    assert new.appointed_on == dt.date(2024, 2, 1)
    assert set(new.services.all()) == {service_a, service_b}
    assert new.phones == ["+77021112233"]
    views = selectors.service_responsible_persons(service=service_a, actor=None)
    assert [v.person for v in views] == [new, old]
    with pytest.raises(Conflict):
        services.responsible_person_replace(
            actor=None, person_id=old.pk, replaced_on="2024-03-01", successor={"full_name": "X"}
        )


def test_replacement_before_appointment_is_refused() -> None:
    person = PersonFactory.create(appointed_on=dt.date(2023, 1, 10))
    with pytest.raises(FieldError) as caught:
        services.responsible_person_replace(
            actor=None, person_id=person.pk, replaced_on="2022-12-31", successor={"full_name": "Y"}
        )
    assert caught.value.field == "replaced_on"
    assert ResponsiblePerson.objects.count() == 1


def test_person_may_only_be_linked_to_services_of_the_organisation() -> None:
    owner, stranger = OrganisationFactory.create(), OrganisationFactory.create()
    service = ServiceFactory.create(owner=owner)
    with pytest.raises(FieldError) as caught:
        services.responsible_person_appoint(
            actor=None,
            data={"organisation_id": stranger.pk, "full_name": "Z", "service_ids": [service.pk]},
        )
    assert caught.value.field == "service_ids"
    provider_service = ServiceFactory.create(providers=[stranger])
    person = services.responsible_person_appoint(
        actor=None,
        data={
            "organisation_id": stranger.pk,
            "full_name": "Z",
            "service_ids": [provider_service.pk],
        },
    )
    assert list(person.services.all()) == [provider_service]


def test_person_update_audits_field_names_not_contacts() -> None:
    person = PersonFactory.create()
    services.responsible_person_update(
        actor=None, person_id=person.pk, data={"phones": ["8 705 000 00 01"]}
    )
    event = AuditEvent.objects.get(action="registry.responsible_person_updated")
    assert event.changes == {"fields": ["phones"]}
    assert "+77050000001" not in str(event.changes)


def test_responsible_person_of_another_body_is_denied(org_a: Partner, org_b: Partner) -> None:
    with pytest.raises(PermissionDenied):
        services.service_update(
            actor=org_a.user, service_id=org_b.service.pk, data={"name_ru": "Нет"}
        )
    with pytest.raises(PermissionDenied):
        services.organisation_contact_add(
            actor=org_a.user,
            organisation_id=org_b.organisation.pk,
            data={"kind": "email", "value": "a@b.example"},
        )


def test_update_without_changes_writes_no_audit(org_a: Partner) -> None:
    before = AuditEvent.objects.count()
    services.organisation_update(
        actor=None,
        organisation_id=org_a.organisation.pk,
        data={"name_ru": org_a.organisation.name_ru},
    )
    assert AuditEvent.objects.count() == before


def test_search_text_follows_the_names() -> None:
    organisation = services.organisation_create(
        actor=None,
        data={"kind": "service_provider", "name_kk": "Халыққа қызмет көрсету орталығы",
              "name_ru": "Центр обслуживания населения", "short_name_ru": "ЦОН"},
    )  # fmt: skip
    assert list(selectors.organisation_list(query="цон")) == [organisation]
    assert list(selectors.organisation_list(query="халыкка")) == [organisation]
    services.organisation_update(
        actor=None, organisation_id=organisation.pk, data={"short_name_ru": "ЦОН-1"}
    )
    assert list(selectors.organisation_list(query="цон-1")) == [organisation]
