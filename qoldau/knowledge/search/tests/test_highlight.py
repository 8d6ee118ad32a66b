"""highlight(): segments of a text, True where a word's analysed form matched (R6)."""

from __future__ import annotations

from qoldau.knowledge.search import Document, SearchIndex, highlight


def test_segments_rebuild_the_text_and_mark_every_form() -> None:
    text = "Құжаттарды ХҚКО-ға тапсырыңыз; құжат тізімі — төменде."
    segments = highlight(text, {"кужат"}, "kk")
    assert "".join(part for part, _ in segments) == text
    assert [part for part, marked in segments if marked] == ["Құжаттарды", "құжат"]


def test_exact_forms_and_latin_words_are_marked() -> None:
    segments = highlight("Портал eGov и ЦОН", {"егов", "цон"}, "ru")
    assert [part for part, marked in segments if marked] == ["eGov", "ЦОН"]


def test_russian_forms_are_marked_through_the_stem() -> None:
    segments = highlight("Справку о несудимости выдают справки.", {"справк"}, "ru")
    assert [part for part, marked in segments if marked] == ["Справку", "справки"]


def test_nothing_to_mark_gives_the_whole_text_unmarked() -> None:
    assert highlight("Нет совпадений", set(), "ru") == [("Нет совпадений", False)]
    assert highlight("Нет совпадений", {"справк"}, "ru") == [("Нет совпадений", False)]
    assert highlight("", {"справк"}, "ru") == []


def test_stop_words_are_never_marked() -> None:
    assert highlight("и", {"и"}, "ru") == [("и", False)]


def test_hit_terms_feed_highlight() -> None:
    index = SearchIndex([("ЦОН", "центр обслуживания населения")])
    body = "Обратитесь в центр обслуживания населения."
    index.upsert(Document("1", "ru", "Куда обратиться", (), body, {}))
    hit = index.search("ЦОН", languages=["ru"])[0]
    marked = [part for part, flag in highlight(body, hit.matched_terms, "ru") if flag]
    assert marked == ["центр", "обслуживания", "населения"]
