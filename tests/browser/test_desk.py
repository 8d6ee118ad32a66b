"""The operator's desk in a real browser (issue 5's "Done when"): a simulated call is offered,
the operator accepts it, sees the caller's earlier appeal (screen pop), searches the knowledge
base, registers an appeal linked to the call, transfers a second call by competence, ends the
call, and the caller's rating arrives; in Kazakh and in Russian."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qoldau.accounts.enums import Role
from qoldau.accounts.services import user_create
from qoldau.appeals.models import Appeal, CallAppeal
from qoldau.appeals.services import appeal_register
from qoldau.appeals.tests.reference import ensure_reference_data
from qoldau.audit.models import AuditEvent
from qoldau.core import clock
from qoldau.routing.models import Operator, Reservation
from qoldau.routing.services import routing_tick
from qoldau.routing.tests.factories import make_operator, make_queue
from qoldau.telephony.adapters.simulator import Simulator, SimulatorConfig
from qoldau.telephony.models import CallRecord
from qoldau.telephony.services import call_event_ingest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Correct-Horse-1414"
Screenshot = Callable[[Page, str], Path]
TEXTS = {
    "kk": {"available": "Қолжетімді", "accept": "Қоңырауды қабылдау", "register": "Тіркеу",
           "transfer": "Беру", "end": "Қоңырауды аяқтау", "question": "ЭЦҚ қалай алуға болады?"},
    "ru": {"available": "Доступен", "accept": "Принять звонок", "register": "Зарегистрировать",
           "transfer": "Передать", "end": "Завершить звонок", "question": "Как получить ЭЦП?"},
}  # fmt: skip
DRAFTS = "Object.keys(sessionStorage).filter(k => k.startsWith('qoldau-desk-draft:'))"


class Pbx:
    """The simulator as the PBX, stepped from the test thread (which shares the live server's
    in-memory SQLite connection): it obeys the router's commands as a PBX would."""

    def __init__(self) -> None:
        config = SimulatorConfig(
            peak_per_hour=0.0001, handle_mean=600, patience_mean=3600, rating_share=1.0
        )
        self.sim = Simulator(config=config, sink=call_event_ingest, seed=5)
        self.sim.next_arrival = clock.now() + dt.timedelta(days=1)  # only the test's calls

    def call(self, caller: str, language: str) -> str:
        return self.sim.arrive(clock.now(), caller=caller, language=language).call_id

    def pump(self, until: Callable[[], bool], seconds: float = 15.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.sim.step()
            routing_tick()
            if until():
                return
            time.sleep(0.2)
        from qoldau.routing.models import Task

        raise AssertionError(
            "the PBX did not get there in time: "
            f"{list(Task.objects.values_list('ref', 'state'))} "
            f"{list(Reservation.objects.values_list('operator__user__username', 'state'))} "
            f"{list(Operator.objects.values_list('user__username', 'presence', 'voice_busy'))}"
        )


@pytest.fixture
def pbx() -> Iterator[Pbx]:
    with override_settings(TELEPHONY_CONTROL="simulator", ROUTING_WRAP_UP_SECONDS=1):
        yield Pbx()


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_operator_takes_a_call_registers_an_appeal_and_ends_it(
    page: Page, live_server: LiveServer, screenshot: Screenshot, pbx: Pbx, language: str
) -> None:
    text = TEXTS[language]
    ensure_reference_data()
    queue = make_queue(language, match=f'language == "{language}"', steps=[{"skill_mode": "any"}])
    make_queue(
        "experts",
        match="false",  # reached only by transfer
        steps=[{"skill_mode": "any", "language_mode": "any"}],
    )
    user = user_create(
        username=f"desk-{language}",
        password=PASSWORD,
        organisation_id=None,
        roles=[Role.OPERATOR],
        first_name="Айгерім",
        last_name="Сейітова",
        language=language,
    )
    make_operator(user=user, languages={language: 5}, queues=[queue], presence="offline")
    expert = make_operator(languages={"kk": 5, "ru": 5}, presence="offline")
    earlier: Any = appeal_register(
        actor=None,
        data={
            "content": "Анықтама туралы сұрақ",
            "channel": "phone",
            "phone": "+77015550101",
            "language": language,
        },
    )

    page.goto(f"{live_server.url}/{language}/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.goto(f"{live_server.url}/{language}/appeals/desk/")
    page.get_by_role("button", name=text["available"]).click()

    call_id = pbx.call("8 701 555 01 01", language)
    accept = page.get_by_role("button", name=text["accept"])
    pbx.pump(lambda: accept.is_visible())
    screenshot(page, f"desk-offer-{language}")
    accept.click()
    pbx.pump(lambda: CallRecord.objects.get(call_id=call_id).state == "talking")

    # The screen pop: the caller's earlier appeal, masked number, the appeal form.
    expect(page.get_by_role("link", name=earlier.number)).to_be_visible(timeout=15_000)
    expect(page.locator("#caller-number")).to_contain_text("•••")
    page.locator("#caller-number + button").click()
    expect(page.locator("#caller-number")).to_have_text("+77015550101")
    assert AuditEvent.objects.filter(action="telephony.caller_viewed").count() == 1

    page.locator("#kb-q").fill(text["question"])
    page.locator("#desk-panel form.appeals-form [name=content]").fill(text["question"])
    screenshot(page, f"desk-call-{language}")
    page.get_by_role("button", name=text["register"], exact=True).click()
    expect(page.locator(".messages, [role=status], .message").first).to_be_visible()
    link = CallAppeal.objects.select_related("appeal").get(call__call_id=call_id)
    assert link.appeal.applicant_phone == "+77015550101"
    assert link.appeal.channel == "phone"
    assert link.appeal.language == language

    page.get_by_role("button", name=text["end"]).click()
    pbx.pump(lambda: CallRecord.objects.get(call_id=call_id).state == "ended")
    call = CallRecord.objects.get(call_id=call_id)
    assert call.operator_id == user.pk
    assert call.wait_seconds is not None
    # The caller rates by keypad after the conversation (the PBX sends it).
    pbx.pump(lambda: CallRecord.objects.get(call_id=call_id).rating is not None, seconds=20)
    rating = CallRecord.objects.get(call_id=call_id).rating
    assert rating is not None
    assert 1 <= rating <= 5

    # A second call is transferred by competence to the experts' queue.
    Operator.objects.filter(pk=expert.pk).update(presence="available")
    expert_queue_member(expert)
    second = pbx.call("+77015550202", language)
    accept = page.get_by_role("button", name=text["accept"])
    pbx.pump(lambda: accept.is_visible(), seconds=20)
    accept.click()
    pbx.pump(lambda: CallRecord.objects.get(call_id=second).state == "talking")
    page.locator("#transfer-form").evaluate("f => f.closest('details').open = true")
    page.locator("#transfer-queue").select_option("experts")
    page.get_by_role("button", name=text["transfer"], exact=True).click()
    pbx.pump(lambda: Reservation.objects.filter(task__ref=second, operator=expert).exists())
    assert CallRecord.objects.get(call_id=second).transfers == 1
    assert Appeal.objects.count() == 2


def test_a_caller_who_hangs_up_mid_appeal_loses_nothing(
    page: Page, live_server: LiveServer, screenshot: Screenshot, pbx: Pbx
) -> None:
    """The caller hangs up while the operator types the appeal: the desk redraws with the
    finished call's card and the same form, as typed; a reload brings the text back from the
    tab's draft; the appeal registered from the card is linked to the call."""
    ensure_reference_data()
    queue = make_queue("kk", match='language == "kk"', steps=[{"skill_mode": "any"}])
    user = user_create(
        username="desk-hangup",
        password=PASSWORD,
        organisation_id=None,
        roles=[Role.OPERATOR],
        first_name="Дана",
        last_name="Әлиева",
        language="kk",
    )
    make_operator(user=user, languages={"kk": 5}, queues=[queue], presence="offline")
    page.goto(f"{live_server.url}/kk/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.goto(f"{live_server.url}/kk/appeals/desk/")
    page.get_by_role("button", name=TEXTS["kk"]["available"]).click()
    call_id = pbx.call("8 701 555 03 03", "kk")
    accept = page.get_by_role("button", name=TEXTS["kk"]["accept"])
    pbx.pump(lambda: accept.is_visible())
    accept.click()
    pbx.pump(lambda: CallRecord.objects.get(call_id=call_id).state == "talking")
    call = CallRecord.objects.get(call_id=call_id)
    content = page.locator(f"#appeal-form-{call.pk} [name=content]")
    question = "Зейнетақы аударымдарын қалай тексеруге болады?"
    content.fill(question)
    page.evaluate("window.sameDocument = true")

    pbx.sim.calls[call_id].ends_at = clock.now()  # the caller hangs up
    pbx.pump(lambda: CallRecord.objects.get(call_id=call_id).state == "ended")
    expect(page.get_by_role("heading", name=re.compile("Аяқталған қоңырау"))).to_be_visible()
    expect(content).to_have_value(question)  # the redraw kept the form as typed
    assert page.evaluate("window.sameDocument === true")  # no reload did it
    expect(page.locator("body")).not_to_contain_text("{#")  # no template source shows
    screenshot(page, "desk-finished-call-kk")

    page.reload()
    expect(content).to_have_value(question)  # back from the tab's draft
    expect(page.locator(".appeals-form__restored")).to_contain_text("қайтарылды")
    screenshot(page, "desk-draft-restored-kk")
    assert page.evaluate(DRAFTS) == [f"qoldau-desk-draft:{user.pk}:appeal-form-{call.pk}"]
    page.locator(f"#register-{call.pk}").click()
    expect(page.locator(".messages")).to_contain_text("тіркелді")
    link = CallAppeal.objects.select_related("appeal").get(call=call)
    assert link.appeal.content == question
    assert link.appeal.applicant_phone == "+77015550303"
    expect(content).to_have_value("")  # the card's form is fresh for a further appeal
    assert page.evaluate(DRAFTS) == []  # the draft went with the sending

    content.fill("Тағы бір сұрақ")
    assert len(page.evaluate(DRAFTS)) == 1
    page.get_by_role("button", name="Карточканы жабу").click()
    expect(page.get_by_role("heading", name=re.compile("Аяқталған қоңырау"))).to_have_count(0)
    assert page.evaluate(DRAFTS) == []  # closing the card drops its draft
    page.reload()
    expect(page.get_by_role("heading", name=re.compile("Аяқталған қоңырау"))).to_have_count(0)

    page.evaluate(f"sessionStorage.setItem('qoldau-desk-draft:{user.pk}:appeal-form-0', '{{}}')")
    page.get_by_role("button", name="Шығу").click()
    expect(page).to_have_url(re.compile("/login/|/kk/$"))
    assert page.evaluate(DRAFTS) == []  # signing out drops the drafts


def expert_queue_member(expert: Operator) -> None:
    from qoldau.core import clock
    from qoldau.routing.models import Queue, QueueMember
    from qoldau.routing.services import queue_plans_forget

    QueueMember.objects.create(
        queue=Queue.objects.get(code="experts"), operator=expert, added_at=clock.now()
    )
    queue_plans_forget()
