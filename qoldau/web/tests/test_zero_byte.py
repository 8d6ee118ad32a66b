"""A zero byte in a page's query or form is refused with a page naming the field, before any
view: PostgreSQL cannot store it, so views reading the raw form failed with a 500 there."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from qoldau.accounts.enums import Role
from qoldau.appeals.models import AppealLink
from qoldau.appeals.services import appeal_register
from qoldau.appeals.tests.conftest import appeal_data
from qoldau.web.tests.conftest import MakeUser


@pytest.mark.parametrize(
    ("language", "expected"),
    [("kk", "«other_number» өрісінде нөлдік байт бар"), ("ru", "Поле «other_number» содержит")],
)
def test_a_form_field_with_a_zero_byte_is_refused_by_name(
    make_user: MakeUser, language: str, expected: str
) -> None:
    operator = make_user(roles=[Role.OPERATOR], language=language)
    appeal = appeal_register(actor=operator, data=appeal_data())
    client = Client()
    client.force_login(operator)
    response = client.post(
        f"/{language}/appeals/{appeal.pk}/link/", {"other_number": "1414\x00", "kind": "related"}
    )
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert not AppealLink.objects.exists()


def test_a_query_with_a_zero_byte_is_refused_and_a_clean_one_served(make_user: MakeUser) -> None:
    client = Client()
    client.force_login(make_user(roles=[Role.OPERATOR]))
    refused = client.get("/ru/knowledge/", {"q": "ЭЦП\x00"})
    assert refused.status_code == 400
    assert "«q»" in refused.content.decode()
    assert client.get("/ru/knowledge/", {"q": "ЭЦП"}).status_code == 200


def test_a_json_body_is_left_for_its_view(db: None) -> None:
    """A webhook reads its own body: the middleware must not consume a non-form stream."""
    response = Client().post(
        "/api/v1/kb/search", data=json.dumps({"q": "a\x00b"}), content_type="application/json"
    )
    assert response.status_code == 405  # the view answered: GET only


def test_a_form_posted_to_the_api_still_reaches_its_view(make_user: MakeUser) -> None:
    """The API reads its own body: a form posted there must not be read (and consumed) first."""
    client = Client()
    client.force_login(make_user(roles=[Role.UCC_ADMIN]))
    response = client.post("/api/v1/registry/bylaws", {"title": "x", "note": "a\x00b"})
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == "body_not_json"
