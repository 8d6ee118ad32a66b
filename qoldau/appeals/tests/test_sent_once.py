"""A form sent twice registers one appeal (R8): the citizens' form, the operator's form and the
desk's form during a call each carry a one-time token."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings

from qoldau.appeals.models import Appeal, CallAppeal
from qoldau.appeals.submissions import RESEND_WINDOW
from qoldau.core import clock
from qoldau.core.models import OutboxMessage
from qoldau.core.tests.concurrency import run_together
from qoldau.routing.tests.factories import make_operator, make_queue
from qoldau.telephony.ports import CallEvent, CallEventKind
from qoldau.telephony.services import call_event_ingest

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="submission" value="([A-Za-z0-9_-]+)"')


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()  # the public form's rate limit


def _token(page: Any) -> str:
    found = TOKEN.search(page.content.decode())
    assert found, "the form carries no submission token"
    return found.group(1)


def _public(token: str, **overrides: Any) -> dict[str, Any]:
    data = {"name": "Асель", "email": "asel@example.kz", "content": "Сұрағым бар", "phone": ""}
    return {**data, "submission": token, **overrides}


def test_the_citizens_form_sent_twice_registers_once() -> None:
    client = Client()
    token = _token(client.get("/kk/appeal/new/"))
    first = client.post("/kk/appeal/new/", _public(token))
    again = client.post("/kk/appeal/new/", _public(token))
    appeal = Appeal.objects.get()
    assert (first.status_code, again.status_code) == (201, 200)
    assert appeal.number in first.content.decode()
    assert appeal.number in again.content.decode()
    acknowledgements = OutboxMessage.objects.filter(recipient="asel@example.kz")
    assert acknowledgements.count() == 1
    # Another visit to the form with another question is another appeal.
    other = _token(client.get("/kk/appeal/new/"))
    assert other != token
    assert client.post("/kk/appeal/new/", _public(other, content="Басқа сұрақ")).status_code == 201
    assert Appeal.objects.count() == 2


@pytest.mark.parametrize(
    ("language", "notice"),
    [("kk", "Бұл өтінішті сіз жіберіп қойдыңыз"), ("ru", "Вы уже отправили это обращение")],
)
def test_the_citizens_form_sent_again_after_going_back_registers_once(
    language: str, notice: str
) -> None:
    """Back in the browser loads the form anew (a new token) with what was typed: the same
    appeal sent again that way is the first one, with a notice."""
    client = Client()
    url = f"/{language}/appeal/new/"
    first = client.post(url, _public(_token(client.get(url))))
    again = client.post(url, _public(_token(client.get(url))))
    appeal = Appeal.objects.get()
    assert (first.status_code, again.status_code) == (201, 200)
    assert appeal.number in again.content.decode()
    assert notice in again.content.decode()
    assert notice not in first.content.decode()
    assert OutboxMessage.objects.filter(recipient="asel@example.kz").count() == 1


def test_the_same_appeal_after_the_resend_window_is_a_new_one() -> None:
    client = Client()
    client.post("/ru/appeal/new/", _public(_token(client.get("/ru/appeal/new/"))))
    later = clock.now() + RESEND_WINDOW + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        token = _token(client.get("/ru/appeal/new/"))
        assert client.post("/ru/appeal/new/", _public(token)).status_code == 201
    assert Appeal.objects.count() == 2


def test_the_same_text_from_another_applicant_is_another_appeal() -> None:
    client = Client()
    client.post("/ru/appeal/new/", _public(_token(client.get("/ru/appeal/new/"))))
    token = _token(client.get("/ru/appeal/new/"))
    other = _public(token, email="", phone="+7 701 234 5678")
    assert client.post("/ru/appeal/new/", other).status_code == 201
    assert Appeal.objects.count() == 2


def test_a_refused_form_keeps_its_token_for_the_corrected_one() -> None:
    client = Client()
    token = _token(client.get("/ru/appeal/new/"))
    refused = client.post("/ru/appeal/new/", _public(token, content=""))
    assert refused.status_code == 200
    assert _token(refused) == token
    assert not Appeal.objects.exists()
    assert client.post("/ru/appeal/new/", _public(token)).status_code == 201
    assert Appeal.objects.count() == 1


def test_the_same_form_changed_and_sent_again_asks_before_a_new_appeal() -> None:
    client = Client()
    token = _token(client.get("/ru/appeal/new/"))
    client.post("/ru/appeal/new/", _public(token))
    number = Appeal.objects.get().number
    changed = client.post("/ru/appeal/new/", _public(token, content="Другой вопрос"))
    assert changed.status_code == 409
    page = changed.content.decode()
    assert number in page
    assert "Другой вопрос" in page  # nothing the applicant typed is lost
    fresh = _token(changed)
    assert fresh != token
    assert Appeal.objects.count() == 1
    assert (
        client.post("/ru/appeal/new/", _public(fresh, content="Другой вопрос")).status_code == 201
    )
    assert list(Appeal.objects.order_by("pk").values_list("content", flat=True)) == [
        "Сұрағым бар",
        "Другой вопрос",
    ]


def _operator_form(client: Client, **overrides: str) -> dict[str, str]:
    data = {
        "content": "Жәрдемақы туралы сұрақ",
        "category": "consultation",
        "language": "kk",
        "channel": "phone",
        "line": "1414",
        "phone": "+7 701 234 5678",
        "submission": _token(client.get("/kk/appeals/new/")),
    }
    return {**data, **overrides}


def test_the_operators_form_sent_twice_opens_the_same_appeal(operator: Any) -> None:
    client = Client()
    client.force_login(operator)
    data = _operator_form(client, phone="")
    first = client.post("/kk/appeals/new/", data)
    again = client.post("/kk/appeals/new/", data, follow=True)
    appeal = Appeal.objects.get()
    assert first["Location"] == again.redirect_chain[0][0] == f"/kk/appeals/{appeal.pk}/"
    assert appeal.number in again.content.decode()
    # Another operator's form with the same token is not theirs to replay.
    client.force_login(make_operator().user)
    assert client.post("/kk/appeals/new/", data).status_code == 302
    assert Appeal.objects.count() == 2


def test_the_operators_form_sent_again_after_going_back_opens_the_same_appeal(
    operator: Any,
) -> None:
    client = Client()
    client.force_login(operator)
    client.post("/kk/appeals/new/", _operator_form(client))
    again = client.post("/kk/appeals/new/", _operator_form(client), follow=True)
    appeal = Appeal.objects.get()
    assert again.redirect_chain[0][0] == f"/kk/appeals/{appeal.pk}/"
    assert "Бұл нысан бұрын жіберілген" in again.content.decode()
    # Another operator typing the same for the same caller registers their own appeal.
    client.force_login(make_operator().user)
    assert client.post("/kk/appeals/new/", _operator_form(client)).status_code == 302
    assert Appeal.objects.count() == 2


def test_the_same_text_for_unknown_callers_is_an_appeal_each(operator: Any) -> None:
    """Two callers who give no contact may well ask the same: nothing tells them apart."""
    client = Client()
    client.force_login(operator)
    for _ in range(2):
        assert client.post("/kk/appeals/new/", _operator_form(client, phone="")).status_code == 302
    assert Appeal.objects.count() == 2


@override_settings(TELEPHONY_CONTROL="simulator")
def test_the_desks_form_during_a_call_sent_twice_registers_and_links_once(
    operator: Any,
) -> None:
    make_queue("all", steps=[{"skill_mode": "any", "members_only": False}])
    desk_operator = make_operator(user=operator, languages={"ru": 5})
    now = clock.now()
    call_event_ingest(
        CallEvent("c7", 1, CallEventKind.ARRIVED, now, caller="87015550707", language="ru")
    )
    call_event_ingest(
        CallEvent(
            "c7",
            2,
            CallEventKind.ANSWERED,
            now + dt.timedelta(seconds=2),
            operator=desk_operator.extension,
        )
    )
    client = Client()
    client.force_login(operator)
    token = _token(client.get("/ru/appeals/desk/"))
    data = {"content": "Вопрос о пенсии", "category": "consultation", "language": "ru"}
    data |= {"channel": "phone", "line": "1414", "submission": token}
    for _ in range(2):
        assert client.post("/ru/appeals/desk/call/c7/appeal/", data).status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.applicant_phone == "+77015550707"
    assert CallAppeal.objects.filter(appeal=appeal).count() == 1


@pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="threads need a server database; SQLite serialises writers anyway",
)
@pytest.mark.django_db(transaction=True)
def test_two_sendings_at_once_register_one_appeal(reference_data: None) -> None:
    """Both requests claim the token together: the key's unique index lets one register and
    the other wait for its commit and answer with the same number."""
    token = _token(Client().get("/kk/appeal/new/"))

    def send() -> int:
        return Client().post("/kk/appeal/new/", _public(token)).status_code

    assert sorted(run_together([send, send])) == [200, 201]
    assert Appeal.objects.count() == 1


@pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="threads need a server database; SQLite serialises writers anyway",
)
@pytest.mark.django_db(transaction=True)
def test_the_same_appeal_from_two_tabs_at_once_registers_once(
    reference_data: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tabs, two tokens, one appeal sent from both at the same instant. Each registration
    waits (up to a second) for the other to reach the same point, so without turns both would
    pass the twin check before either commits; with turns the second never gets there."""
    from qoldau.appeals import public_views
    from qoldau.appeals.services import appeal_register_cleaned as register

    both_registering = threading.Barrier(2)

    def register_when_both_do(**kwargs: Any) -> Appeal:
        # A broken barrier: the other sending is waiting for its turn.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_registering.wait(timeout=1.0)
        return register(**kwargs)

    monkeypatch.setattr(public_views, "appeal_register_cleaned", register_when_both_do)
    tokens = [_token(Client().get("/kk/appeal/new/")) for _tab in range(2)]

    def send(token: str) -> tuple[int, str]:
        page = Client().post("/kk/appeal/new/", _public(token))
        return page.status_code, page.content.decode()

    outcomes = run_together([lambda: send(tokens[0]), lambda: send(tokens[1])])
    appeal = Appeal.objects.get()
    assert sorted(status for status, _page in outcomes) == [200, 201]
    assert all(appeal.number in page for _status, page in outcomes)
    assert OutboxMessage.objects.filter(recipient="asel@example.kz").count() == 1
