"""SearchIndex behaviour: ranking, languages, synonyms, typos, prefixes, filters, edits (R6)."""

from __future__ import annotations

import pytest

from qoldau.knowledge.search import Document, Hit, SearchIndex

SYNONYMS = [
    ("ЦОН", "ХҚКО", "центр обслуживания населения", "халыққа қызмет көрсету орталығы"),
    ("ЭЦП", "ЭЦҚ", "электронная цифровая подпись", "электрондық цифрлық қолтаңба"),
    ("ИИН", "ЖСН"),
    ("ЕНПФ", "БЖЗҚ"),
]

ARTICLES = [
    Document(
        key="1:kk",
        language="kk",
        title="ЭЦҚ қалай алуға болады",
        keywords=("қолтаңба", "кілт"),
        body="Электрондық цифрлық қолтаңбаны eGov порталында немесе ХҚКО-да алуға болады. "
        "Ол үшін жеке куәлік қажет.",
        filters={"kind": "how_to", "service": "00101"},
    ),
    Document(
        key="1:ru",
        language="ru",
        title="Как получить ЭЦП",
        keywords=("подпись", "ключ"),
        body="Электронную цифровую подпись можно получить на портале eGov или в ЦОН. "
        "Нужно удостоверение личности.",
        filters={"kind": "how_to", "service": "00101"},
    ),
    Document(
        key="2:kk",
        language="kk",
        title="Соттылығының болмауы туралы анықтама",
        keywords=("анықтама", "сотталмағандығы"),
        body="Анықтаманы eGov порталында ЖСН бойынша алуға болады. Мерзімі бір жұмыс күні.",
        filters={"kind": "service", "service": "00202"},
    ),
    Document(
        key="2:ru",
        language="ru",
        title="Справка о несудимости",
        keywords=("справка", "судимость"),
        body="Справку о наличии либо отсутствии судимости можно получить на портале по ИИН.",
        filters={"kind": "service", "service": "00202"},
    ),
    Document(
        key="3:kk",
        language="kk",
        title="Жеке кәсіпкерді тіркеу",
        keywords=("ЖК", "кәсіпкерлік"),
        body="Жеке кәсіпкер ретінде тіркелу үшін салық органына хабарлама беріледі.",
        filters={"kind": "how_to", "service": "00303"},
    ),
    Document(
        key="4:kk",
        language="kk",
        title="Зейнетақы жинақтары",
        keywords=("БЖЗҚ",),
        body="Бірыңғай жинақтаушы зейнетақы қорынан үзінді көшірме алу. Құжаттар тізімі.",
        filters={"kind": "service", "service": "00404"},
    ),
    Document(
        key="5:ru",
        language="ru",
        title="Адреса центров обслуживания населения",
        keywords=(),
        body="Список отделений и график работы.",
        filters={"kind": "directory"},
    ),
]


@pytest.fixture
def index() -> SearchIndex:
    built = SearchIndex(SYNONYMS)
    for article in ARTICLES:
        built.upsert(article)
    return built


def keys(hits: list[Hit]) -> list[str]:
    return [hit.key for hit in hits]


def first(index: SearchIndex, query: str, language: str, **options: bool) -> str | None:
    hits = index.search(query, languages=[language], **options)  # type: ignore[arg-type]
    return hits[0].key if hits else None


def test_len_counts_documents(index: SearchIndex) -> None:
    assert len(index) == len(ARTICLES)
    assert "1:kk" in index


@pytest.mark.parametrize(
    "query",
    [
        "ЭЦҚ қалай алуға болады",
        "ЭЦК калай алуга болады",  # no Kazakh letters
        "ECQ qalay alugha bolady",  # Latin
        "электрондық цифрлық қолтаңба алу",
        "эцқ",
    ],
)
def test_kazakh_queries_find_the_kazakh_article(index: SearchIndex, query: str) -> None:
    assert first(index, query, "kk") == "1:kk"


def test_results_stay_in_the_requested_languages(index: SearchIndex) -> None:
    assert all(hit.language == "kk" for hit in index.search("eGov", languages=["kk"]))
    both = index.search("eGov", languages=["kk", "ru"])
    assert {hit.language for hit in both} == {"kk", "ru"}
    assert index.search("eGov", languages=["en"]) == []
    assert index.search("eGov", languages=[]) == []


def test_word_forms_match(index: SearchIndex) -> None:
    assert first(index, "анықтамасын", "kk") == "2:kk"  # title has "анықтама"
    assert first(index, "справкой о несудимости", "ru") == "2:ru"
    assert first(index, "тіркелген кәсіпкер", "kk") == "3:kk"


def test_synonyms_work_both_ways_and_across_languages(index: SearchIndex) -> None:
    assert first(index, "ЦОН", "kk") == "1:kk"  # the Kazakh article says ХҚКО
    assert {"1:ru", "5:ru"} <= set(keys(index.search("ХҚКО", languages=["ru"])))
    assert "5:ru" in keys(index.search("ЦОН", languages=["ru"]))  # the phrase is written out
    assert first(index, "ИИН", "kk") == "2:kk"  # ЖСН in the article
    assert first(index, "ЕНПФ", "kk") == "4:kk"


def test_without_synonyms_abbreviations_do_not_match() -> None:
    plain = SearchIndex()
    for article in ARTICLES:
        plain.upsert(article)
    assert first(plain, "ЦОН", "kk") is None
    plain.set_synonyms(SYNONYMS)
    assert first(plain, "ЦОН", "kk") == "1:kk"


@pytest.mark.parametrize(
    ("query", "language", "expected"),
    [
        ("справка о несудимасти", "ru", "2:ru"),
        ("ЭЦП палучить", "ru", "1:ru"),
        ("зейнетакы жинактары", "kk", "4:kk"),
        ("кәсіпкерді тіркеууу", "kk", "3:kk"),
        ("cправка несудимоcти", "ru", "2:ru"),  # Latin c inside Cyrillic words
    ],
)
def test_typos_are_tolerated(index: SearchIndex, query: str, language: str, expected: str) -> None:
    assert first(index, query, language) == expected


def test_typo_in_a_known_word_is_not_replaced_by_a_stranger(index: SearchIndex) -> None:
    # "жеке" is in the vocabulary: no typo expansion, no unrelated hits from near words
    hits = index.search("жеке", languages=["kk"], prefix=False)
    assert set(keys(hits)) == {"1:kk", "3:kk"}


def test_prefix_matches_the_word_being_typed(index: SearchIndex) -> None:
    assert first(index, "анықта", "kk") == "2:kk"
    assert first(index, "справ", "ru") == "2:ru"
    assert first(index, "анықта", "kk", prefix=False) is None


def test_title_match_outranks_body_match() -> None:
    index = SearchIndex()
    index.upsert(Document("body", "ru", "Общие сведения", (), "Здесь говорится про пособие.", {}))
    index.upsert(Document("title", "ru", "Пособие", (), "Здесь общие сведения о выплатах.", {}))
    index.upsert(Document("keyword", "ru", "Выплаты", ("пособие",), "Общие сведения.", {}))
    assert keys(index.search("пособие", languages=["ru"])) == ["title", "keyword", "body"]


def test_exact_form_outranks_stem_only_match() -> None:
    index = SearchIndex()
    index.upsert(Document("stem", "kk", "Құжаттар", (), "", {}))
    index.upsert(Document("exact", "kk", "Құжаттарды", (), "", {}))
    hits = index.search("құжаттарды", languages=["kk"], prefix=False)
    assert keys(hits) == ["exact", "stem"]
    assert hits[1].score > 0.6 * hits[0].score  # slightly, not by far


def test_more_matching_words_rank_higher(index: SearchIndex) -> None:
    assert first(index, "анықтама eGov ЖСН", "kk") == "2:kk"


def test_filters_restrict_results(index: SearchIndex) -> None:
    hits = index.search("eGov", languages=["kk", "ru"], filters={"kind": ["how_to"]})
    assert set(keys(hits)) == {"1:kk", "1:ru"}
    hits = index.search("eGov", languages=["kk"], filters={"kind": ["service", "how_to"]})
    assert set(keys(hits)) == {"1:kk", "2:kk"}
    assert index.search("eGov", languages=["kk"], filters={"kind": ["nothing"]}) == []
    assert index.search("eGov", languages=["kk"], filters={"unknown": ["x"]}) == []
    # documents without the filter do not pass it; an empty collection is no condition
    assert keys(index.search("ЦОН", languages=["ru"], filters={"service": ["00101"]})) == ["1:ru"]
    unfiltered = index.search("eGov", languages=["kk"])
    assert index.search("eGov", languages=["kk"], filters={"kind": []}) == unfiltered


def test_filter_added_by_a_later_document() -> None:
    index = SearchIndex()
    index.upsert(Document("a", "ru", "Пособие", (), "", {}))
    index.upsert(Document("b", "ru", "Пособие", (), "", {"region": "75"}))
    assert keys(index.search("пособие", languages=["ru"], filters={"region": ["75"]})) == ["b"]


def test_upsert_replaces_and_is_searchable_at_once(index: SearchIndex) -> None:
    assert first(index, "лицензия", "kk") is None
    index.upsert(Document("2:kk", "kk", "Лицензия алу", (), "Лицензияны алу тәртібі.", {}))
    assert first(index, "лицензия", "kk") == "2:kk"
    assert "2:kk" not in keys(index.search("анықтама", languages=["kk"]))
    assert len(index) == len(ARTICLES)


def test_upsert_can_move_a_document_to_another_language(index: SearchIndex) -> None:
    index.upsert(Document("2:kk", "ru", "Лицензия", (), "", {}))
    assert keys(index.search("лицензия", languages=["ru"])) == ["2:kk"]
    assert index.search("лицензия", languages=["kk"]) == []


def test_remove_forgets_and_ignores_unknown_keys(index: SearchIndex) -> None:
    index.remove("2:ru")
    index.remove("no-such-key")
    assert "2:ru" not in keys(index.search("справка", languages=["ru"]))
    assert len(index) == len(ARTICLES) - 1


def test_many_edits_compact_without_losing_documents() -> None:
    index = SearchIndex()
    for round_ in range(3):
        for number in range(800):
            index.upsert(
                Document(f"{number}", "ru", f"Статья {number} версия {round_}", (), "текст", {})
            )
    assert len(index) == 800
    hits = index.search("версия 2", languages=["ru"], limit=1000)
    assert len(hits) == 800
    assert index.search("статья 17", languages=["ru"])[0].key == "17"


def test_limit_and_score_order(index: SearchIndex) -> None:
    hits = index.search("алу", languages=["kk"], limit=2)
    assert len(hits) == 2
    assert hits[0].score >= hits[1].score > 0
    assert index.search("алу", languages=["kk"], limit=0) == []


def test_matched_terms_name_what_matched(index: SearchIndex) -> None:
    hit = index.search("құжаттар тізімі", languages=["kk"])[0]
    assert hit.key == "4:kk"
    assert {"кужат", "тизим"} <= hit.matched_terms
    synonym_hit = index.search("ЦОН", languages=["kk"])[0]
    assert "хкко" in synonym_hit.matched_terms


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "?!.,;",
        "как",  # only a stop word
        "ж" * 10_000,
        "слово " * 2_000,
        "\x00\x01\xff\ufffe",
        "\ud800 abc",
        "'; DROP TABLE articles; -- OR 1=1",
        'title:ЭЦП AND (body:* OR NOT x) "unclosed',
        "ЭЦП eGov 🙂 ꙮ 漢字 مرحبا",
        "%_*?[]{}^~\\",
    ],
)
def test_odd_queries_never_raise(index: SearchIndex, query: str) -> None:
    for prefix in (True, False):
        hits = index.search(query, languages=["kk", "ru", "en"], prefix=prefix)
        assert isinstance(hits, list)


def test_sql_looking_query_still_finds_its_words(index: SearchIndex) -> None:
    assert first(index, "справка'; DROP TABLE x; --", "ru") == "2:ru"
