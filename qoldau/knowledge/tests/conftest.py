"""Fixtures of the knowledge-base tests: people of each role, a service, articles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from qoldau.accounts.enums import Role
from qoldau.knowledge import services
from qoldau.knowledge.cleaning import ArticleInput, TextInput
from qoldau.knowledge.importing import knowledge_import
from qoldau.knowledge.indexing import search_index_manager
from qoldau.knowledge.models import Article
from qoldau.registry.enums import AcceptanceStatus
from qoldau.registry.models import Organisation, PublicService
from qoldau.registry.tests.factories import OrganisationFactory, ServiceFactory, make_user


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    """Each test's database starts empty: the process's index must not remember another's."""
    search_index_manager().reset()
    yield
    search_index_manager().reset()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Eight people per test: a full PBKDF2 hash each would be most of the suite's time (the
    project switches hashers only with QOLDAU_ENV=test)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class People:
    ucc: Organisation
    partner_org: Organisation
    editor: Any
    editor2: Any
    admin: Any
    operator: Any
    supervisor: Any
    partner: Any  # a responsible person of a state body


@pytest.fixture
def people(db: None) -> People:
    ucc = OrganisationFactory.create(kind="ucc", name_en="Contact center", region=None)
    partner_org = OrganisationFactory.create(name_en="Ministry of Justice")
    return People(
        ucc=ucc,
        partner_org=partner_org,
        editor=make_user(organisation=ucc, roles=[Role.KB_EDITOR]),
        editor2=make_user(organisation=ucc, roles=[Role.KB_EDITOR]),
        admin=make_user(organisation=ucc, roles=[Role.UCC_ADMIN]),
        operator=make_user(organisation=ucc, roles=[Role.OPERATOR]),
        supervisor=make_user(organisation=ucc, roles=[Role.SUPERVISOR]),
        partner=make_user(organisation=partner_org, roles=[Role.RESPONSIBLE_PERSON]),
    )


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def service(db: None) -> PublicService:
    return ServiceFactory.create(
        register_number="00101",
        name_kk="Соттылығының болмауы туралы анықтама беру",
        name_ru="Выдача справки о наличии либо отсутствии судимости",
        acceptance_status=AcceptanceStatus.CONSULTING,
        consultation_from="2020-01-01",
    )


def line(
    external_id: str,
    language: str,
    title: str,
    body: str,
    *,
    kind: str = "how_to",
    keywords: list[str] | None = None,
    service_code: str | None = None,
    published: bool = True,
) -> str:
    return json.dumps(
        {
            "external_id": external_id,
            "kind": kind,
            "language": language,
            "title": title,
            "body": body,
            "keywords": keywords or [],
            "service_code": service_code,
            "published": published,
        },
        ensure_ascii=False,
    )


ECP_KK = line(
    "how-to-ecp",
    "kk",
    "ЭЦҚ қалай алуға болады",
    "<p>Электрондық цифрлық қолтаңбаны eGov порталында немесе ХҚКО-да алуға болады.</p>"
    "<p>Ол үшін жеке куәлік қажет.</p>",
    keywords=["қолтаңба", "кілт"],
)
ECP_RU = line(
    "how-to-ecp",
    "ru",
    "Как получить ЭЦП",
    "<p>Электронную цифровую подпись можно получить на портале eGov или в ЦОН.</p>"
    "<p>Нужно удостоверение личности.</p>",
    keywords=["подпись", "ключ"],
)
# Russian only: a Kazakh query must fall back to it and say so.
PENSION_RU = line(
    "how-to-pension",
    "ru",
    "Как узнать пенсионные накопления в ЕНПФ",
    "<p>Выписку о пенсионных накоплениях можно получить на портале eGov по ИИН.</p>",
    keywords=["пенсия", "накопления"],
)


def import_lines(*lines: str) -> Any:
    return knowledge_import(actor=None, stream=[text.encode() for text in lines], source="test")


def article_of(external_id: str) -> Article:
    return Article.objects.get(external_id=external_id)


def draft(
    editor: Any,
    *,
    external_id: str = "how-to-id",
    kind: str = "how_to",
    service_id: int | None = None,
    texts: dict[str, TextInput] | None = None,
    comment: str = "first draft",
) -> Article:
    return services.article_save(
        actor=editor,
        article_id=None,
        external_id=external_id,
        data=ArticleInput(kind=kind, service_id=service_id),
        texts=texts
        or {
            "kk": TextInput(
                title="Жеке куәлікті ауыстыру",
                keywords=("куәлік",),
                body="<p>Жеке куәлікті ХҚКО-да ауыстыруға болады.</p>",
            ),
            "ru": TextInput(
                title="Замена удостоверения личности",
                keywords=("удостоверение",),
                body="<p>Заменить удостоверение личности можно в ЦОН.</p>",
            ),
        },
        comment=comment,
    )


def publish(article: Article, language: str, author: Any, reviewer: Any) -> None:
    services.translation_submit(actor=author, article_id=article.pk, language=language)
    services.translation_approve(actor=reviewer, article_id=article.pk, language=language)
