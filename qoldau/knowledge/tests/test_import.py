"""``qoldau kb import``: the whole file or nothing, errors with line and field, idempotent."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from qoldau.audit.models import AuditEvent
from qoldau.knowledge.enums import TranslationStatus as S
from qoldau.knowledge.importing import ImportFailed, knowledge_import
from qoldau.knowledge.models import Article, ArticleRevision, ArticleTranslation, IndexChange
from qoldau.knowledge.tests.conftest import ECP_KK, ECP_RU, PENSION_RU, import_lines, line
from qoldau.registry.models import PublicService

pytestmark = pytest.mark.django_db


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_good_file_is_imported(tmp_path: Path, service: PublicService) -> None:
    card = line(
        "service-00101",
        "kk",
        "Соттылығы туралы анықтама",
        "<p>eGov арқылы алуға болады.</p>",
        kind="service_card",
        service_code="00101",
        published=False,
    )
    path = _write(tmp_path, ECP_KK, ECP_RU, "", PENSION_RU, card)
    out = StringIO()
    call_command("kb", "import", str(path), stdout=out)
    assert "4 lines" in out.getvalue()
    assert Article.objects.count() == 3
    ecp = Article.objects.get(external_id="how-to-ecp")
    assert ecp.kind == "how_to"
    assert ecp.is_public
    kk = ArticleTranslation.objects.get(article=ecp, language="kk")
    assert kk.status == S.PUBLISHED
    assert kk.is_live
    assert kk.published_title == "ЭЦҚ қалай алуға болады"
    assert kk.keywords == ["қолтаңба", "кілт"]
    card_article = Article.objects.get(external_id="service-00101")
    assert card_article.service == service
    assert not card_article.is_public
    card_version = card_article.translations.get()
    assert card_version.status == S.DRAFT
    assert not card_version.is_live
    revision = ArticleRevision.objects.get(translation=kk)
    assert revision.number == 1
    assert revision.comment == "import articles.jsonl:1"
    assert set(IndexChange.objects.values_list("article_id", flat=True)) == {
        ecp.pk,
        Article.objects.get(external_id="how-to-pension").pk,
    }
    assert AuditEvent.objects.filter(action="knowledge.imported").count() == 1


def test_reimporting_the_same_file_changes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, ECP_KK, ECP_RU)
    call_command("kb", "import", str(path), stdout=StringIO())
    revisions = ArticleRevision.objects.count()
    changes = IndexChange.objects.count()
    with path.open("rb") as stream:
        report = knowledge_import(actor=None, stream=stream, source="again")
    assert report.unchanged == 2
    assert report.revisions_created == 0
    assert report.published == 0
    assert ArticleRevision.objects.count() == revisions
    assert IndexChange.objects.count() == changes


def test_a_changed_line_adds_a_revision_and_republishes() -> None:
    import_lines(ECP_RU)
    changed = line("how-to-ecp", "ru", "Как получить ЭЦП", "<p>Новый текст про ЦОН.</p>")
    report = import_lines(changed)
    assert report.revisions_created == 1
    assert report.published == 1
    version = ArticleTranslation.objects.get(language="ru")
    assert version.revision_number == 2
    assert version.published_revision_number == 2
    assert "Новый текст" in version.published_body
    statuses = dict(ArticleRevision.objects.values_list("number", "status"))
    assert statuses == {1: S.ARCHIVED, 2: S.PUBLISHED}


def test_an_unpublished_line_never_withdraws_a_published_version() -> None:
    import_lines(ECP_RU)
    draft_line = line("how-to-ecp", "ru", "Как получить ЭЦП", "<p>Черновик.</p>", published=False)
    import_lines(draft_line)
    version = ArticleTranslation.objects.get(language="ru")
    assert version.status == S.DRAFT
    assert version.is_live
    assert "ЦОН" in version.published_body
    assert "Черновик" in version.body
    # publishing the same text later publishes the draft without a new revision
    import_lines(line("how-to-ecp", "ru", "Как получить ЭЦП", "<p>Черновик.</p>", published=True))
    version.refresh_from_db()
    assert version.revision_number == 2
    assert version.published_revision_number == 2


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"language": "de"}, "language"),
        ({"kind": "faq"}, "kind"),
        ({"title": ""}, "title"),
        ({"keywords": "one, two"}, "keywords"),
        ({"published": "yes"}, "published"),
        ({"service_code": "99999"}, "service_code"),
        ({"body": "<p>" + "x" * 300_000 + "</p>"}, "body"),
    ],
)
def test_a_bad_line_names_its_line_and_field_and_nothing_is_imported(
    tmp_path: Path, bad: dict[str, object], field: str
) -> None:
    record = json.loads(PENSION_RU) | {"external_id": "broken"} | bad
    path = _write(tmp_path, ECP_KK, ECP_RU, json.dumps(record, ensure_ascii=False))
    err = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("kb", "import", str(path), stdout=StringIO(), stderr=err)
    assert "nothing was imported" in str(failed.value)
    assert f"line 3, field {field}:" in err.getvalue()
    assert not Article.objects.exists()
    assert not ArticleTranslation.objects.exists()
    assert not AuditEvent.objects.filter(action="knowledge.imported").exists()


def test_a_missing_field_is_named() -> None:
    record = json.loads(ECP_RU)
    del record["title"]
    with pytest.raises(ImportFailed) as failed:
        import_lines(ECP_KK, json.dumps(record), "not json")
    errors = [(error.line, error.field) for error in failed.value.errors]
    assert errors == [(2, "title"), (3, "line")]
    assert failed.value.total == 2
    assert not Article.objects.exists()


def test_contradictions_between_lines_are_errors() -> None:
    other_kind = line("how-to-ecp", "ru", "Как получить ЭЦП", "<p>x</p>", kind="procedure")
    twice = line("how-to-ecp", "kk", "Екінші рет", "<p>x</p>")
    with pytest.raises(ImportFailed) as failed:
        import_lines(ECP_KK, other_kind, twice)
    assert [(error.line, error.field) for error in failed.value.errors] == [
        (2, "kind"),
        (3, "language"),
    ]


def test_unsafe_html_is_cleaned_on_import() -> None:
    import_lines(
        line("x", "ru", "Заголовок", '<p onclick="x()">Текст</p><script>alert(1)</script>')
    )
    assert ArticleTranslation.objects.get().published_body == "<p>Текст</p>"


def test_the_command_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        call_command("kb", "import", str(tmp_path / "nope.jsonl"))
