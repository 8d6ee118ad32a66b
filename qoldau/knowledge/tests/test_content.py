"""Sanitised HTML (nh3), plain text and the diff: pure functions."""

from __future__ import annotations

import pytest

from qoldau.knowledge.content import (
    diff_lines,
    generated_section,
    html_to_text,
    replace_generated_section,
    sanitise_html,
)


@pytest.mark.parametrize(
    ("raw", "absent"),
    [
        ("<p>ok</p><script>alert(1)</script>", "alert"),
        ('<p onclick="steal()">ok</p>', "onclick"),
        ('<a href="javascript:alert(1)">ok</a>', "javascript:"),
        ('<a href="JaVaScRiPt:alert(1)">ok</a>', "alert"),
        ('<img src="x" onerror="steal()">ok', "onerror"),
        ("<style>p{color:red}</style>ok", "color"),
        ('<iframe src="https://evil.example"></iframe>ok', "iframe"),
        ('<p style="background:url(x)">ok</p>', "style"),
        ('<form action="/x"><input name="a"></form>ok', "form"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">ok</a>', "data:"),
        ("<!-- secret --><p>ok</p>", "secret"),
    ],
)
def test_unsafe_html_is_removed(raw: str, absent: str) -> None:
    cleaned = sanitise_html(raw)
    assert absent.lower() not in cleaned.lower()
    assert "ok" in cleaned


def test_simple_formatting_and_safe_links_stay() -> None:
    raw = (
        "<h2>Қадамдар</h2><ol><li><strong>eGov</strong> порталына кіріңіз</li></ol>"
        '<p><a href="https://egov.kz/cms/kk">egov.kz</a> <a href="tel:1414">1414</a></p>'
        "<table><tr><th>Мерзімі</th><td>1 күн</td></tr></table>"
    )
    cleaned = sanitise_html(raw)
    for kept in ("<h2>", "<ol>", "<strong>", 'href="https://egov.kz/cms/kk"', 'href="tel:1414"'):
        assert kept in cleaned
    assert 'rel="noopener noreferrer nofollow"' in cleaned
    assert sanitise_html(cleaned) == cleaned  # stable: saving again changes nothing


def test_only_the_generated_class_survives() -> None:
    cleaned = sanitise_html('<section class="kb-generated evil">x</section><p class="evil">y</p>')
    assert cleaned == '<section class="kb-generated">x</section><p>y</p>'


def test_plain_text_keeps_blocks_apart_and_decodes_entities() -> None:
    html = "<p>Бірінші &amp; жол</p><ul><li>екі</li><li>үш</li></ul><p>a<br>b</p>"
    assert html_to_text(html) == "Бірінші & жол\nекі\nүш\na\nb"
    assert html_to_text("") == ""


def test_generated_section_is_replaced_and_editor_text_kept() -> None:
    body = '<section class="kb-generated"><p>old</p></section>\n<p>Editor note</p>'
    updated = replace_generated_section(body, '<section class="kb-generated"><p>new</p></section>')
    assert "new" in updated
    assert "old" not in updated
    assert "Editor note" in updated
    assert generated_section(updated) == '<section class="kb-generated"><p>new</p></section>'
    appended = replace_generated_section(
        "<p>Only editor</p>", '<section class="kb-generated">g</section>'
    )
    assert appended == '<p>Only editor</p>\n<section class="kb-generated">g</section>'


def test_diff_marks_changed_words_removed_and_added_lines() -> None:
    rows = diff_lines("бір екі үш\nортақ\nескі", "бір төрт үш\nортақ")
    assert [row.kind for row in rows] == ["changed", "equal", "removed"]
    changed = rows[0]
    assert [(s.text, s.changed) for s in changed.old] == [
        ("бір ", False),
        ("екі", True),
        (" үш", False),
    ]
    assert [(s.text, s.changed) for s in changed.new] == [
        ("бір ", False),
        ("төрт", True),
        (" үш", False),
    ]
    assert rows[2].old_number == 3
    assert rows[2].new_number is None
