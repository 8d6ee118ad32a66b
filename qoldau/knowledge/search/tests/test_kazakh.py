"""The Kazakh suffix stripper on real word forms (R6)."""

from __future__ import annotations

import pytest

from qoldau.knowledge.search.analyzer import fold, normalise
from qoldau.knowledge.search.kazakh import stem


def kk_stem(word: str) -> str:
    return stem(fold(normalise(word)))


# Each group: forms of one word that must meet on one stem.
SAME_STEM = [
    "алу алуға алған алатын алуды алуын алушы алыңыз алсаңыз алады алынады алыну",
    "қызмет қызметтер қызметтерді қызметтерінің қызметі қызметін қызметтің қызметке қызметтен "
    "қызметпен",
    "құжат құжаттар құжаттарды құжаттардың құжаты құжатын құжатқа құжатты құжаттан құжатымды",
    "анықтама анықтаманы анықтамасын анықтамалар анықтамасы анықтамаға анықтамада анықтаманың "
    "анықтамасына",
    "өтініш өтінішті өтініштер өтінішін өтінішке өтінішіңізді өтініштің",
    "тіркеу тіркелу тіркеуге тіркелген тіркеуді тіркелуі",
    "мемлекет мемлекеттік мемлекеттің мемлекетке",
    "орган органдар органға органның органдарына",
    "азамат азаматтар азаматтарға азаматтың азаматтық",
    "төлем төлемдер төлемді төлемнің төлемге",
    "шешім шешімі шешімдер шешімге шешімін",
    "мерзім мерзімі мерзімде мерзімін",
    "жәрдемақы жәрдемақыны жәрдемақылар жәрдемақысы жәрдемақыға",
    "зейнетақы зейнетақыны зейнетақысы зейнетақыға",
    "беру беріледі берілген берілетін",
    "көрсету көрсетілетін көрсетілген",
    "куәлік куәлігі куәлікті",
    "салық салығы салықтар салықты",
    "кітап кітабы кітаптар кітапқа",
    "бала балалар балаға баласы балаларына",
    "жол жолы жолдар жолға жолмен",
    "бол болу болды болады болған",
    "мекенжай мекенжайы мекенжайға мекенжайлар",
    "адам адамдар адамға",
    "білім білімі білімге",
    "төлеу төленеді төленген",
]


@pytest.mark.parametrize("group", SAME_STEM, ids=lambda group: group.split()[0])
def test_forms_of_a_word_share_a_stem(group: str) -> None:
    forms = group.split()
    stems = {form: kk_stem(form) for form in forms}
    assert len(set(stems.values())) == 1, stems


def test_at_least_sixty_real_forms_are_covered() -> None:
    assert sum(len(group.split()) for group in SAME_STEM) >= 60


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("алуға", "ал"),
        ("құжаттардың", "кужат"),
        ("қызметтерінің", "кызмет"),
        ("анықтамасын", "аныктама"),
        ("өтініштер", "отиниш"),
        ("тіркелген", "тирке"),
    ],
)
def test_stems_are_the_root_in_folded_letters(form: str, expected: str) -> None:
    assert kk_stem(form) == expected


# Different words that only look alike after stripping: they must stay apart.
@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("қызмет", "қыз"),  # service / girl
        ("құжат", "құж"),
        ("адам", "ада"),
        ("шешім", "шеш"),  # decision / untie
        ("орган", "ор"),
        ("мемлекет", "мемле"),
        ("бала", "бал"),  # child / honey
        ("білім", "біл"),  # knowledge / know
        ("куәлік", "куә"),  # certificate / witness
        ("төлем", "төле"),  # payment / pay
        ("анықтама", "анық"),  # certificate / clear
        ("салық", "сал"),  # tax / put
    ],
)
def test_different_words_do_not_collapse(left: str, right: str) -> None:
    assert kk_stem(left) != kk_stem(right)


def test_stem_is_the_same_with_and_without_kazakh_letters() -> None:
    for proper, russian_keyboard in [
        ("алуға", "алуга"),
        ("қызметтерінің", "кызметтеринин"),
        ("құжаттарды", "кужаттарды"),
        ("өтінішіңізді", "отинишинизди"),
    ]:
        assert kk_stem(proper) == kk_stem(russian_keyboard)


@pytest.mark.parametrize("word", ["", "а", "ал", "1414", "эцқ", "x" * 50])
def test_short_and_odd_words_come_back_whole(word: str) -> None:
    assert kk_stem(word) == fold(normalise(word))
