"""Ratings of written appeals (R13): a link after closing, one score from 1 to 5, figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from qoldau.appeals.models import AppealRating, Notification
from qoldau.appeals.ratings import appeal_rate, appeal_rating_figures
from qoldau.appeals.services import appeal_close, appeal_register
from qoldau.core import clock
from qoldau.core.errors import Conflict, ValidationFailed

pytestmark = pytest.mark.django_db


def _closed(operator: Any, *, channel: str = "web", language: str = "kk") -> Any:
    appeal = appeal_register(
        actor=None,
        data={
            "content": "Сұрақ",
            "channel": channel,
            "language": language,
            "email": "citizen@example.kz",
            "phone": "+77012345678",
        },
    )
    appeal_close(actor=operator, appeal_id=appeal.pk, measures_taken="Кеңес берілді.")
    return appeal


def test_closing_a_written_appeal_sends_a_rating_link_in_the_applicants_language(
    operator: Any,
) -> None:
    appeal = _closed(operator, language="kk")
    rating = AppealRating.objects.get(appeal=appeal)
    note = Notification.objects.get(appeal=appeal, code="rating_request")
    assert rating.token in note.params["url"]
    assert "/kk/appeal/rate/" in note.params["url"]
    assert note.language == "kk"


def test_a_phone_appeal_gets_no_link(operator: Any) -> None:
    appeal = _closed(operator, channel="phone")
    assert not AppealRating.objects.filter(appeal=appeal).exists()


@pytest.mark.parametrize("score", ["0", "6", "", "five", "-1"])
def test_a_score_outside_the_scale_is_refused(operator: Any, score: str) -> None:
    rating = AppealRating.objects.get(appeal=_closed(operator))
    with pytest.raises(ValidationFailed) as caught:
        appeal_rate(token=rating.token, score=score)
    assert caught.value.errors[0].field == "score"
    rating.refresh_from_db()
    assert rating.score is None


def test_a_score_is_given_once_and_expires(operator: Any) -> None:
    rating = AppealRating.objects.get(appeal=_closed(operator))
    appeal_rate(token=rating.token, score="4", comment="Жақсы")
    with pytest.raises(Conflict):
        appeal_rate(token=rating.token, score="5")
    rating.refresh_from_db()
    assert rating.score == 4
    late = AppealRating.objects.get(appeal=_closed(operator))
    with time_machine.travel(clock.now() + dt.timedelta(days=31)), pytest.raises(Conflict):
        appeal_rate(token=late.token, score="5")


@pytest.mark.parametrize(("language", "thanks"), [("kk", "Рақмет"), ("ru", "Спасибо")])
def test_the_public_page_rates_in_kazakh_and_russian(
    operator: Any, language: str, thanks: str
) -> None:
    rating = AppealRating.objects.get(appeal=_closed(operator, language=language))
    url = f"/{language}/appeal/rate/{rating.token}/"
    assert Client().get(url).status_code == 200
    bad = Client().post(url, {"score": "9"})
    assert bad.status_code == 422
    done = Client().post(url, {"score": "5"})
    assert done.status_code == 200
    assert thanks in done.content.decode()
    assert Client().get(f"/{language}/appeal/rate/nonsense/").status_code == 404


def test_figures_per_operator_and_channel(operator: Any, supervisor: Any) -> None:
    for score, who in ((5, operator), (3, operator), (4, supervisor)):
        appeal = _closed(who)
        appeal.assigned_to = who
        appeal_rate(token=AppealRating.objects.get(appeal=appeal).token, score=score)
    start = clock.now() - dt.timedelta(days=1)
    end = clock.now() + dt.timedelta(days=1)
    by_channel = appeal_rating_figures(start=start, end=end, by="channel")
    assert [(r.key, r.count, r.average) for r in by_channel] == [("web", 3, 4.0)]
    assert sum(r.count for r in appeal_rating_figures(start=start, end=end, by="operator")) == 3
