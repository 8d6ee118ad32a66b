"""The operator's desk over HTTP: who may use it, polling that redraws only on change, the
audited number, and written appeals taken from it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from qoldau.accounts.enums import Role
from qoldau.appeals.services import appeal_register
from qoldau.audit.models import AuditEvent
from qoldau.registry.tests.factories import PASSWORD, make_user
from qoldau.routing.models import Operator, Reservation
from qoldau.routing.tests.factories import make_operator, make_queue
from qoldau.telephony.ports import CallEvent, CallEventKind
from qoldau.telephony.services import call_event_ingest

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("role", [Role.RESPONSIBLE_PERSON, Role.RECIPIENT, Role.QUALITY_OFFICER])
def test_only_contact_center_staff_have_a_desk(role: str) -> None:
    user = make_user(organisation=None, roles=[role])
    assert _client(user).get("/ru/appeals/desk/").status_code == 403
    assert not Operator.objects.filter(user=user).exists()


def test_the_panel_answers_204_until_something_changes(operator: Any) -> None:
    client = _client(operator)
    page = client.get("/kk/appeals/desk/")
    assert page.status_code == 200
    key = page.context["desk_key"]
    assert client.get("/kk/appeals/desk/panel/", {"key": key}).status_code == 204
    client.post("/kk/appeals/desk/presence/", {"presence": "available"})
    changed = client.get("/kk/appeals/desk/panel/", {"key": key})
    assert changed.status_code == 200
    assert "Қолжетімді" in changed.content.decode()


@override_settings(TELEPHONY_CONTROL="simulator")
def test_the_callers_number_is_shown_only_on_request_and_audited(operator: Any) -> None:
    make_queue("all", steps=[{"skill_mode": "any", "members_only": False}])
    desk_operator = make_operator(user=operator, languages={"ru": 5})
    import datetime as dt

    from qoldau.core import clock

    now = clock.now()
    call_event_ingest(
        CallEvent("c1", 1, CallEventKind.ARRIVED, now, caller="87015550303", language="ru")
    )
    call_event_ingest(
        CallEvent(
            "c1",
            2,
            CallEventKind.ANSWERED,
            now + dt.timedelta(seconds=3),
            operator=desk_operator.extension,
        )
    )
    client = _client(operator)
    page = client.get("/ru/appeals/desk/").content.decode()
    assert "+7701•••03" in page
    assert "+77015550303" not in page
    revealed = client.post("/ru/appeals/desk/call/c1/caller/")
    assert revealed.content.decode() == "+77015550303"
    assert AuditEvent.objects.filter(action="telephony.caller_viewed").count() == 1
    other = make_user(organisation=None, roles=[Role.RECIPIENT])
    assert _client(other).post("/ru/appeals/desk/call/c1/caller/").status_code == 403


def test_a_written_appeal_taken_on_the_desk_opens_for_work(operator: Any) -> None:
    make_queue("written", channel="text", steps=[{"skill_mode": "any", "members_only": False}])
    make_operator(user=operator, languages={"ru": 5})
    appeal = appeal_register(
        actor=None,
        data={"content": "Вопрос", "channel": "web", "language": "ru"},
        acknowledge=False,
    )
    offer = Reservation.objects.get(task__ref=appeal.number)
    response = _client(operator).post(f"/ru/appeals/desk/offer/{offer.pk}/", {"decision": "accept"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/appeals/{appeal.pk}/")
    appeal.refresh_from_db()
    assert appeal.assigned_to == operator
