"""The operator's desk over HTTP: who may use it, polling that redraws only on change, the
audited number, written appeals taken from it, and the card a finished call leaves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings

from qoldau.accounts.enums import Role
from qoldau.appeals.models import Appeal, CallAppeal
from qoldau.appeals.services import appeal_register
from qoldau.audit.models import AuditEvent
from qoldau.core import clock
from qoldau.core.form_tokens import form_token_new
from qoldau.registry.tests.factories import PASSWORD, make_user
from qoldau.routing.models import Operator, Reservation
from qoldau.routing.tests.factories import make_operator, make_queue
from qoldau.telephony.models import CallRecord
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


def _answered_call(operator: Any, call_id: str, caller: str) -> Operator:
    """A call answered by ``operator`` at the desk (the PBX's events)."""
    desk_operator = Operator.objects.filter(user=operator).first() or make_operator(
        user=operator, languages={"ru": 5}
    )
    now = clock.now()
    call_event_ingest(
        CallEvent(call_id, 1, CallEventKind.ARRIVED, now, caller=caller, language="ru")
    )
    call_event_ingest(
        CallEvent(
            call_id,
            2,
            CallEventKind.ANSWERED,
            now + dt.timedelta(seconds=2),
            operator=desk_operator.extension,
        )
    )
    return desk_operator


def _hung_up(call_id: str) -> None:
    call_event_ingest(CallEvent(call_id, 3, CallEventKind.ENDED, clock.now(), reason="caller"))


@override_settings(TELEPHONY_CONTROL="simulator")
def test_a_call_the_caller_hung_up_on_keeps_its_appeal_form_until_closed(operator: Any) -> None:
    make_queue("all", steps=[{"skill_mode": "any", "members_only": False}])
    _answered_call(operator, "c-gone", "87015550404")
    client = _client(operator)
    during = client.get("/ru/appeals/desk/")
    call = CallRecord.objects.get(call_id="c-gone")
    form_id = f'id="appeal-form-{call.pk}"'
    assert form_id in during.content.decode()

    _hung_up("c-gone")
    redrawn = client.get("/ru/appeals/desk/panel/", {"key": during.context["desk_key"]})
    assert redrawn.status_code == 200
    page = redrawn.content.decode()
    assert "Завершённый звонок" in page
    assert form_id in page  # the same form: the browser keeps what was typed in it
    assert "+7701•••04" in page
    assert "87015550404" not in page

    # Refused input comes back in the card, as typed, with the error.
    refused = client.post(
        "/ru/appeals/desk/call/c-gone/appeal/",
        {
            "content": "",
            "name": "Асель Нурланова",
            "channel": "phone",
            "category": "consultation",
            "language": "ru",
            "submission": during.context["form"]["submission"].value(),
        },
    )
    assert refused.status_code == 422
    assert form_id in refused.content.decode()
    assert 'value="Асель Нурланова"' in refused.content.decode()
    assert not Appeal.objects.exists()

    sent = client.post(
        "/ru/appeals/desk/call/c-gone/appeal/",
        {
            "content": "Как заменить паспорт?",
            "channel": "phone",
            "category": "consultation",
            "language": "ru",
            "submission": form_token_new(),
        },
    )
    assert sent.status_code == 302
    link = CallAppeal.objects.select_related("appeal").get(call=call)
    assert link.appeal.applicant_phone == "+77015550404"
    assert link.appeal.number in client.get("/ru/appeals/desk/").content.decode()

    key = client.get("/ru/appeals/desk/").context["desk_key"]
    assert client.post("/ru/appeals/desk/call/c-gone/close/").status_code == 302
    closed = client.get("/ru/appeals/desk/panel/", {"key": key})
    assert closed.status_code == 200  # the card left: the desk redraws without it
    assert "Завершённый звонок" not in closed.content.decode()
    assert form_id not in closed.content.decode()


@override_settings(TELEPHONY_CONTROL="simulator")
def test_a_finished_calls_card_is_its_operators_alone_and_leaves_after_an_hour(
    operator: Any,
) -> None:
    make_queue("all", steps=[{"skill_mode": "any", "members_only": False}])
    _answered_call(operator, "c-mine", "87015550505")
    _hung_up("c-mine")
    colleague = make_user(organisation=None, roles=[Role.OPERATOR])
    make_operator(user=colleague, languages={"ru": 5})

    def desk_of(user: Any) -> str:
        page = _client(user).get("/kk/appeals/desk/")
        assert page.status_code == 200
        assert 'id="desk-panel"' in page.content.decode()  # the desk itself, not a sign-in
        return page.content.decode()

    assert "Аяқталған қоңырау" in desk_of(operator)
    assert "Аяқталған қоңырау" not in desk_of(colleague)
    with time_machine.travel(clock.now() + dt.timedelta(hours=1, minutes=1)):
        later = desk_of(operator)
    assert "Аяқталған қоңырау" not in later


@override_settings(TELEPHONY_CONTROL="simulator")
def test_only_who_took_the_call_registers_appeals_against_it(operator: Any) -> None:
    make_queue("all", steps=[{"skill_mode": "any", "members_only": False}])
    _answered_call(operator, "c-theirs", "87015550606")
    colleague = make_user(organisation=None, roles=[Role.OPERATOR])
    make_operator(user=colleague, languages={"ru": 5})
    appeal = {
        "content": "Чужой звонок",
        "channel": "phone",
        "category": "consultation",
        "language": "ru",
    }
    refused = _client(colleague).post(
        "/ru/appeals/desk/call/c-theirs/appeal/",
        {**appeal, "submission": form_token_new()},
        follow=True,
    )
    assert refused.redirect_chain[-1][0].endswith("/appeals/desk/")
    assert "У вас нет прав на это действие." in refused.content.decode()
    assert not Appeal.objects.exists()
    _hung_up("c-theirs")  # after the call, its operator still may
    taken = _client(operator).post(
        "/ru/appeals/desk/call/c-theirs/appeal/", {**appeal, "submission": form_token_new()}
    )
    assert taken.status_code == 302
    assert CallAppeal.objects.filter(call__call_id="c-theirs").count() == 1
    supervisor = make_user(organisation=None, roles=[Role.SUPERVISOR])
    by_supervisor = _client(supervisor).post(
        "/ru/appeals/desk/call/c-theirs/appeal/", {**appeal, "submission": form_token_new()}
    )
    assert by_supervisor.status_code == 302
    assert CallAppeal.objects.filter(call__call_id="c-theirs").count() == 2
