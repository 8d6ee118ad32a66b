"""The search as operators, the API and the ``kb search`` command see it (R6): published only,
kk → ru fallback marked, filters, freshness across processes, synonyms as data, bad queries."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from qoldau.knowledge import selectors, services
from qoldau.knowledge.cleaning import ArticleInput
from qoldau.knowledge.indexing import IndexManager
from qoldau.knowledge.models import SynonymGroup
from qoldau.knowledge.tests.conftest import (
    ECP_KK,
    ECP_RU,
    PENSION_RU,
    People,
    article_of,
    client_for,
    draft,
    import_lines,
    line,
    publish,
)
from qoldau.registry.tests.factories import make_api_key

pytestmark = pytest.mark.django_db

NIGHT_RU = line(
    "how-to-criminal-record",
    "ru",
    "Справка о несудимости",
    "<p>Справку о наличии либо отсутствии судимости можно получить на портале eGov по ИИН.</p>",
    keywords=["справка", "судимость"],
)
NIGHT_KK = line(
    "how-to-criminal-record",
    "kk",
    "Соттылығының болмауы туралы анықтама",
    "<p>Анықтаманы eGov порталында ЖСН бойынша алуға болады.</p>",
    keywords=["анықтама", "сотталмағандығы"],
)


def _search(query: str, language: str = "kk", limit: int = 10) -> list[dict[str, Any]]:
    out = StringIO()
    call_command(
        "kb", "search", query, "--lang", language, "--limit", str(limit), "--json", stdout=out
    )
    result: list[dict[str, Any]] = json.loads(out.getvalue())
    return result


def test_the_command_prints_the_best_first_as_json() -> None:
    import_lines(ECP_KK, ECP_RU, NIGHT_KK, NIGHT_RU, PENSION_RU)
    hits = _search("ЭЦҚ қалай алуға болады")
    assert hits[0] == {
        "external_id": "how-to-ecp",
        "language": "kk",
        "title": "ЭЦҚ қалай алуға болады",
        "score": hits[0]["score"],
    }
    assert set(hits[0]) == {"external_id", "language", "title", "score"}
    assert all(isinstance(hit["score"], float) for hit in hits)
    assert [hit["score"] for hit in hits] == sorted((hit["score"] for hit in hits), reverse=True)
    assert _search("справка о несудимости", "ru")[0]["external_id"] == "how-to-criminal-record"
    # Kazakh typed on a Russian keyboard, and a typo
    assert _search("сотталмагандыгы туралы аныктама")[0]["external_id"] == "how-to-criminal-record"
    assert _search("справка о несудимасти", "ru")[0]["external_id"] == "how-to-criminal-record"


def test_the_command_refuses_bad_arguments() -> None:
    with pytest.raises(CommandError, match="lang"):
        _search("ЭЦП", "de")
    with pytest.raises(CommandError, match="limit"):
        _search("ЭЦП", "ru", limit=0)
    with pytest.raises(CommandError, match="q"):
        _search("   ", "ru")


def test_a_kazakh_query_falls_back_to_russian_and_says_so(people: People) -> None:
    import_lines(ECP_KK, ECP_RU, PENSION_RU)
    hits = _search("ЕНПФ зейнетақы жинақтары eGov")
    by_id = {hit["external_id"]: hit for hit in hits}
    assert by_id["how-to-pension"]["language"] == "ru"  # no Kazakh version
    assert by_id["how-to-ecp"]["language"] == "kk"  # never its Russian twin
    assert len(hits) == len(by_id)
    results = selectors.knowledge_search(query="ЕНПФ", language="kk")
    assert [(r.article.external_id, r.language, r.fallback) for r in results] == [
        ("how-to-pension", "ru", True)
    ]
    page = client_for(people.operator).get("/kk/knowledge/", {"q": "ЕНПФ"})
    assert "Қазақша нұсқасы жоқ — орысша мәтін көрсетілді" in page.content.decode()


def test_only_published_versions_are_found(people: People) -> None:
    article = draft(people.editor)  # "Жеке куәлікті ауыстыру" / "Замена удостоверения"
    assert _search("удостоверение", "ru") == []
    publish(article, "ru", people.editor, people.editor2)
    assert [hit["external_id"] for hit in _search("удостоверение", "ru")] == ["how-to-id"]
    services.translation_archive(
        actor=people.editor, article_id=article.pk, language="ru", note="withdrawn"
    )
    assert _search("удостоверение", "ru") == []


def test_a_published_change_is_seen_by_another_process_at_once(people: People) -> None:
    """Two managers stand in for two web processes: each keeps its own index."""
    first, second = IndexManager(), IndexManager()
    import_lines(ECP_RU)
    assert first.fresh().search("подпись", languages=["ru"])
    assert second.fresh().search("подпись", languages=["ru"])
    builds = (first.stats.builds, second.stats.builds)

    article = draft(people.editor, external_id="how-to-passport")
    publish(article, "ru", people.editor, people.editor2)  # written by "a third process"
    for manager in (first, second):
        hits = manager.fresh().search("заменить", languages=["ru"])
        assert [hit.key for hit in hits] == [f"{article.pk}:ru"]
    assert (first.stats.builds, second.stats.builds) == builds  # caught up, not rebuilt

    services.article_save(
        actor=people.editor,
        article_id=article.pk,
        data=ArticleInput(kind="competent_body"),
        texts={},
        comment="it is a competent body",
    )  # the filters changed: the log says so
    for manager in (first, second):
        hits = manager.fresh().search(
            "заменить", languages=["ru"], filters={"kind": {"competent_body"}}
        )
        assert len(hits) == 1
    services.translation_archive(
        actor=people.editor2, article_id=article.pk, language="ru", note="gone"
    )
    for manager in (first, second):
        assert manager.fresh().search("заменить", languages=["ru"]) == []


def test_a_fresh_check_costs_one_query(django_assert_num_queries: Any) -> None:
    manager = IndexManager()
    import_lines(ECP_RU)
    manager.fresh()
    with django_assert_num_queries(1):
        manager.fresh()


def test_synonyms_are_data_and_reach_the_index(people: People) -> None:
    assert any("ЦОН" in group.terms for group in SynonymGroup.objects.all())  # seeded
    import_lines(
        line("how-to-tax", "ru", "Налоговая декларация", "<p>Сдать декларацию можно в КГД.</p>")
    )
    assert _search("комитет госдоходов", "ru") == []
    services.synonym_group_save(
        actor=people.editor, group_id=None, terms=["КГД", "комитет госдоходов"], note="tax"
    )
    assert [hit["external_id"] for hit in _search("комитет госдоходов", "ru")] == ["how-to-tax"]
    # the seeded ЦОН = ХҚКО group works across scripts of the same idea
    import_lines(ECP_RU)
    assert "how-to-ecp" in [
        hit["external_id"] for hit in _search("центр обслуживания населения", "ru")
    ]


def test_filters_narrow_the_results(people: People, service: Any) -> None:
    import_lines(ECP_RU, NIGHT_RU)
    article = article_of("how-to-criminal-record")
    services.article_save(
        actor=people.editor,
        article_id=article.pk,
        data=ArticleInput(kind="service_card", service_id=service.pk),
        texts={},
        comment="linked to its service",
    )
    results = selectors.knowledge_search(
        query="eGov", language="ru", filters=selectors.SearchFilters(kinds=("service_card",))
    )
    assert [r.article.external_id for r in results] == ["how-to-criminal-record"]
    results = selectors.knowledge_search(
        query="eGov",
        language="ru",
        filters=selectors.SearchFilters(organisation_ids=(service.owner_id,)),
    )
    assert [r.article.external_id for r in results] == ["how-to-criminal-record"]
    results = selectors.knowledge_search(
        query="eGov", language="ru", filters=selectors.SearchFilters(service_ids=(999999,))
    )
    assert results == []


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def api_client(people: People) -> Client:
    key = make_api_key(organisation=people.ucc, roles=["operator"])
    return Client(headers={"X-API-Key": key})


def test_the_api_returns_the_same_list(api_client: Client) -> None:
    import_lines(ECP_KK, ECP_RU, NIGHT_RU)
    params: dict[str, str | int] = {"q": "ЭЦП", "lang": "ru", "limit": 5}
    response = api_client.get("/api/v1/kb/search", params)
    assert response.status_code == 200
    body = response.json()
    assert body == _search("ЭЦП", "ru", 5)
    assert body[0]["external_id"] == "how-to-ecp"
    assert body[0]["language"] == "ru"


def test_the_api_accepts_a_session(people: People) -> None:
    import_lines(ECP_RU)
    response = client_for(people.operator).get("/api/v1/kb/search", {"q": "ЭЦП", "lang": "ru"})
    assert response.status_code == 200
    assert response.json()[0]["external_id"] == "how-to-ecp"


def test_the_api_needs_authentication() -> None:
    response = Client().get("/api/v1/kb/search", {"q": "ЭЦП", "lang": "ru"})
    assert response.status_code == 401
    response = Client(headers={"X-API-Key": "qk_wrong"}).get("/api/v1/kb/search", {"q": "ЭЦП"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lang": "ru"}, "q"),
        ({"q": "", "lang": "ru"}, "q"),
        ({"q": "а" * 501, "lang": "ru"}, "q"),
        ({"q": "ЭЦП", "lang": "de"}, "lang"),
        ({"q": "ЭЦП", "lang": "ru", "limit": 0}, "limit"),
        ({"q": "ЭЦП", "lang": "ru", "limit": 51}, "limit"),
        ({"q": "ЭЦП", "lang": "ru", "limit": "ten"}, "limit"),
    ],
)
def test_the_api_refuses_bad_parameters_with_a_4xx_naming_the_field(
    api_client: Client, params: dict[str, str | int], field: str
) -> None:
    response = api_client.get("/api/v1/kb/search", params)
    assert response.status_code == 422
    assert response.json()["field"] == field


@pytest.mark.parametrize(
    "query",
    [
        "\x00\x01\x02\ufffd\x7f",
        "'; DROP TABLE knowledge_article; --",
        "1 OR 1=1 UNION SELECT * FROM accounts_user",
        "ЭЦП ecp ЭЦҚ 電子署名 توقيع",
        "%_%\\",
        "a" * 500,
        "\u202e\u200b\u0307\u0301",
        "🙂🙂🙂",
        "a-" * 250,
    ],
)
def test_odd_queries_never_fail(api_client: Client, query: str) -> None:
    import_lines(ECP_KK, ECP_RU)
    response = api_client.get("/api/v1/kb/search", {"q": query, "lang": "kk"})
    assert response.status_code == 200
    assert isinstance(response.json(), list)
