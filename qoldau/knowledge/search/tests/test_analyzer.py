"""The text pipeline: normalisation, folding, Latin Kazakh, Russian stemming, stop words (R6)."""

from __future__ import annotations

import pytest

from qoldau.knowledge.search import analyze, analyze_query, normalise
from qoldau.knowledge.search.analyzer import fold, terms
from qoldau.knowledge.search.translit import to_cyrillic, variants


def test_normalise_applies_nfkc_case_folding_and_yo() -> None:
    assert normalise("ＥＧＯＶ Ёлка\u00adпалка ﬁ") == "egov елкапалка fi"
    assert normalise("ҚАЗАҚСТАН") == "қазақстан"  # Kazakh letters survive normalisation


def test_fold_maps_every_kazakh_letter() -> None:
    assert fold("әғқңөұүһі") == "агкноуухи"
    assert fold("ЭЦҚ".lower()) == "эцк"


def test_kazakh_with_and_without_kazakh_letters_analyse_alike() -> None:
    assert analyze("ЭЦҚ қалай алуға болады", "kk") == analyze("ЭЦК калай алуга болады", "kk")
    assert analyze("ЭЦҚ қалай алуға болады", "kk") == ["эцк", "ал"]


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("qalay", "калай"),
        ("aluga", "алуга"),
        ("anyqtama", "аныктама"),
        ("zheke", "жеке"),
        ("jeke", "жеке"),
        ("shot", "шот"),
        ("oghan", "оган"),
        ("mening", "менин"),
        ("kualik", "куалик"),
    ],
)
def test_informal_latin_kazakh_to_cyrillic(latin: str, cyrillic: str) -> None:
    assert to_cyrillic(latin) == cyrillic


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("ǵylym", "гылым"),  # 2018 alphabet, acute accents
        ("ńıet", "ниет"),
        ("ózgeris", "озгерис"),
        ("úi", "уи"),
        ("ğylym", "гылым"),  # 2021 alphabet
        ("şeşim", "шешим"),
        ("öner", "онер"),
        ("a'ke", "аке"),  # 2017 apostrophes
    ],
)
def test_official_latin_alphabets_to_folded_cyrillic(latin: str, cyrillic: str) -> None:
    assert fold(to_cyrillic(normalise(latin))) == cyrillic


def test_ambiguous_latin_letters_give_several_spellings() -> None:
    found = variants("bolady")
    assert found[0] == "болады"
    assert len(found) > 1


def test_latin_kazakh_query_analyses_like_cyrillic() -> None:
    assert analyze("qujattar", "kk") == analyze("құжаттар", "kk") == ["кужат"]
    assert analyze("anyqtamany qalay alugha bolady", "kk") == ["аныктама", "ал"]


def test_mixed_keyboard_words_are_repaired() -> None:
    # Latin "i" typed for Kazakh "і", Latin "K" inside a Cyrillic abbreviation
    assert analyze("бiлiм ЭЦK", "kk") == analyze("білім ЭЦҚ", "kk")


def test_russian_word_forms_share_a_stem() -> None:
    stems = {analyze(word, "ru")[0] for word in ("справка", "справки", "справку", "справкой")}
    assert stems == {"справк"}
    assert analyze("получить получение", "ru") == ["получ", "получен"]


def test_stop_words_are_dropped() -> None:
    assert analyze("как получить справку о несудимости", "ru") == ["получ", "справк", "несудим"]
    assert analyze("және үшін туралы қалай", "kk") == []


def test_hyphenated_kazakh_endings_after_abbreviations_are_not_words() -> None:
    assert analyze("ХҚКО-ға ЖСН-ді", "kk") == ["хкко", "жсн"]


def test_exact_and_stem_terms_are_both_kept() -> None:
    assert terms("құжаттарды", "kk") == [("кужаттарды", "кужат")]


def test_query_words_keep_stop_words_marked_and_cap_length() -> None:
    words = analyze_query("как получить", "ru")
    assert [(word.text, word.stop) for word in words] == [("как", True), ("получить", False)]
    assert len(analyze_query("слово " * 500, "ru")) == 32


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\x00\x01\x02", "'; DROP TABLE articles; --", "🙂🙂", "a" * 10_000, "\ud800"],
)
def test_odd_input_never_raises(text: str) -> None:
    for language in ("kk", "ru", "en", "xx"):
        analyze(text, language)
        analyze_query(text, language)
