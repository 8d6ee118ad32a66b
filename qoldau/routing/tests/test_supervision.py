"""Supervisors move operators between queues and record trainings that grant competences."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from qoldau.accounts.enums import Role
from qoldau.audit.models import AuditEvent
from qoldau.core import clock
from qoldau.core.errors import PermissionDenied, ValidationFailed
from qoldau.registry.tests.factories import PASSWORD, OrganisationFactory, make_user
from qoldau.routing import services
from qoldau.routing.admin_services import (
    queue_member_set,
    training_record,
    training_record_once,
)
from qoldau.routing.enums import ReservationState, SkillSource
from qoldau.routing.models import (
    OperatorSkill,
    QueueMember,
    Reservation,
    Training,
    TrainingResultRow,
)
from qoldau.routing.tests.factories import make_operator, make_queue, make_skill

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor() -> Any:
    return make_user(organisation=None, roles=[Role.SUPERVISOR])


def test_a_supervisor_moves_an_operator_between_queues(supervisor: Any) -> None:
    kk = make_queue("kk")
    ru = make_queue("ru")
    op = make_operator(queues=[kk])
    queue_member_set(actor=supervisor, queue_id=kk.pk, operator_id=op.pk, member=False)
    queue_member_set(actor=supervisor, queue_id=ru.pk, operator_id=op.pk, member=True)
    assert list(QueueMember.objects.filter(operator=op).values_list("queue__code", flat=True)) == [
        "ru"
    ]
    assert AuditEvent.objects.filter(action="routing.queue_member_add").count() == 1


def test_a_free_operator_added_to_a_queue_is_offered_its_waiting_call(supervisor: Any) -> None:
    kk = make_queue("kk", match='language == "kk"', steps=[{"skill_mode": "any"}])
    op = make_operator()
    task = services.task_submit(channel="voice", ref="w1", attributes={"language": "kk"})
    assert not Reservation.objects.filter(task=task).exists()  # nobody in the queue

    queue_member_set(actor=supervisor, queue_id=kk.pk, operator_id=op.pk, member=True)

    offer = Reservation.objects.get(task=task)
    assert (offer.operator_id, offer.state) == (op.pk, ReservationState.PENDING)


def test_an_operator_cannot_move_people_between_queues() -> None:
    kk = make_queue("kk")
    op = make_operator()
    with pytest.raises(PermissionDenied):
        queue_member_set(actor=op.user, queue_id=kk.pk, operator_id=op.pk, member=True)
    assert not QueueMember.objects.exists()


def test_passing_a_training_grants_its_competence(supervisor: Any) -> None:
    skill = make_skill("eds")
    passed = make_operator()
    failed = make_operator()
    trainer = OrganisationFactory.create()
    training_record(
        actor=supervisor,
        topic_kk="ЭЦҚ",
        topic_ru="ЭЦП",
        trainer_id=trainer.pk,
        held_on=clock.local_date() - dt.timedelta(days=1),
        skill_id=skill.pk,
        skill_level=4,
        results={passed.pk: "passed", failed.pk: "failed"},
    )
    granted = OperatorSkill.objects.get(operator=passed, skill=skill)
    assert granted.level == 4
    assert granted.source == SkillSource.TRAINING
    assert not OperatorSkill.objects.filter(operator=failed).exists()


def test_a_bad_training_names_every_field_and_stores_nothing(supervisor: Any) -> None:
    skill = make_skill("eds")
    op = make_operator()
    with pytest.raises(ValidationFailed) as caught:
        training_record(
            actor=supervisor,
            topic_kk="",
            topic_ru="",
            trainer_id=OrganisationFactory.create().pk,
            held_on=clock.local_date() + dt.timedelta(days=3),
            skill_id=skill.pk,
            skill_level=9,
            results={op.pk: "maybe"},
        )
    fields = {e.field for e in caught.value.errors}
    assert fields == {"topic_kk", "topic_ru", "held_on", "skill_level", "results"}
    assert not Training.objects.exists()
    assert not OperatorSkill.objects.exists()


def _signed_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_operators_page_and_queue_toggle(supervisor: Any, language: str) -> None:
    queue = make_queue("kk")
    op = make_operator()
    client = _signed_in(supervisor)
    page = client.get(f"/{language}/routing/operators/")
    assert page.status_code == 200
    assert str(op) in page.content.decode()
    moved = client.post(
        f"/{language}/routing/operators/queues/",
        {"queue": queue.pk, "operator": op.pk, "member": "1"},
    )
    assert moved.status_code == 302
    assert QueueMember.objects.filter(queue=queue, operator=op).exists()


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.RESPONSIBLE_PERSON, Role.RECIPIENT])
def test_others_are_refused_the_supervisor_pages(role: str) -> None:
    user = make_user(organisation=None, roles=[role])
    client = _signed_in(user)
    assert client.get("/ru/routing/operators/").status_code == 403
    assert client.get("/ru/routing/trainings/new/").status_code == 403


def test_the_training_form_shows_field_errors_in_kazakh(supervisor: Any) -> None:
    client = _signed_in(supervisor)
    response = client.post("/kk/routing/trainings/new/", {"topic_kk": "", "held_on": "x"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Оқыту күнін көрсетіңіз." in body
    assert not Training.objects.exists()


def _training_form(client: Client, language: str) -> dict[str, Any]:
    page = client.get(f"/{language}/routing/trainings/new/")
    found = re.search(r'name="submission" value="([^"]+)"', page.content.decode())
    assert found is not None, "the training form carries a one-time token"
    return {"submission": found.group(1)}


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_training_form_sent_twice_records_and_grants_once(
    supervisor: Any, language: str
) -> None:
    skill = make_skill("eds")
    op = make_operator()
    trainer = OrganisationFactory.create()
    client = _signed_in(supervisor)
    data = _training_form(client, language) | {
        "topic_kk": "ЭЦҚ",
        "topic_ru": "ЭЦП",
        "trainer": trainer.pk,
        "skill": skill.pk,
        "skill_level": "4",
        "held_on": (clock.local_date() - dt.timedelta(days=1)).isoformat(),
        f"result-{op.pk}": "passed",
    }
    first = client.post(f"/{language}/routing/trainings/new/", data)
    second = client.post(f"/{language}/routing/trainings/new/", data, follow=True)

    training = Training.objects.get()
    assert first.status_code == 302
    assert second.redirect_chain[-1][0].endswith(f"#t{training.pk}")
    assert training.results.count() == 1
    assert OperatorSkill.objects.get(operator=op, skill=skill).level == 4
    assert AuditEvent.objects.filter(action="routing.training_record").count() == 1
    shown = [(m.level_tag, str(m)) for m in second.context["messages"]]
    topic, nothing_again = {
        "kk": ("«ЭЦҚ»", "Ешнәрсе қайта тіркелмеді"),
        "ru": ("«ЭЦП»", "Повторно ничего не записано"),
    }[language]
    assert shown[-1][0] == "warning"
    assert topic in shown[-1][1]
    assert nothing_again in shown[-1][1]


def test_a_refused_training_form_keeps_its_token_for_the_corrected_one(supervisor: Any) -> None:
    client = _signed_in(supervisor)
    data = _training_form(client, "ru") | {"topic_kk": "", "held_on": "x"}
    refused = client.post("/ru/routing/trainings/new/", data)
    assert refused.status_code == 422
    assert f'name="submission" value="{data["submission"]}"' in refused.content.decode()


def _training(supervisor: Any) -> dict[str, Any]:
    """A valid training's fields: one operator passed the competence ``eds``."""
    return {
        "actor": supervisor,
        "topic_kk": "ЭЦҚ",
        "topic_ru": "ЭЦП",
        "trainer_id": OrganisationFactory.create().pk,
        "held_on": clock.local_date(),
        "skill_id": make_skill("eds").pk,
        "results": {make_operator().pk: "passed"},
    }


def test_a_training_token_already_used_records_nothing_new(supervisor: Any) -> None:
    fields = _training(supervisor)
    token = "t" * 24
    earlier, recorded = training_record_once(submission=token, **fields)
    assert recorded
    OperatorSkill.objects.all().delete()  # were it granted again, it would be back
    again, recorded = training_record_once(submission=token, **fields | {"topic_ru": "Другое"})
    assert (again, recorded) == (earlier, False)
    assert Training.objects.get().topic_ru == "ЭЦП"
    assert not OperatorSkill.objects.exists()
    assert TrainingResultRow.objects.count() == 1


@pytest.mark.parametrize(
    ("changed", "field"),
    [
        ({"trainer_id": 999_999}, "trainer"),
        ({"skill_id": 999_999}, "skill"),
        ({"bylaw_id": 999_999}, "bylaw"),
        ({"results": {999_999: "passed"}}, "results"),
    ],
)
def test_a_training_that_points_at_nothing_names_the_field_and_stores_nothing(
    supervisor: Any, changed: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        training_record(**_training(supervisor) | changed)
    assert [e.field for e in caught.value.errors] == [field]
    assert not Training.objects.exists()
    assert not OperatorSkill.objects.exists()


def test_the_training_form_refuses_a_trainer_that_does_not_exist_in_kazakh(
    supervisor: Any,
) -> None:
    op = make_operator()
    client = _signed_in(supervisor)
    data = _training_form(client, "kk") | {
        "topic_kk": "ЭЦҚ",
        "topic_ru": "ЭЦП",
        "trainer": "999999",
        "skill": make_skill("eds").pk,
        "held_on": clock.local_date().isoformat(),
        f"result-{op.pk}": "passed",
    }
    response = client.post("/kk/routing/trainings/new/", data)
    assert response.status_code == 422
    assert "Кім оқытқанын таңдаңыз." in response.content.decode()
    assert not Training.objects.exists()
