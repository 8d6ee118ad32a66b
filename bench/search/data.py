"""Documents and labelled queries for the search benchmarks (R6).

- KazQAD (kk validation split, CC BY-SA 4.0): the 697 distinct passages are the documents, each
  distinct question is a query, its relevant documents are the passages it was asked about.
- Operator-style set: the demo knowledge base ``qoldau/knowledge/demo/articles.jsonl`` and its
  labelled queries ``bench/search/queries.jsonl``; while those do not exist, the small set of our
  own in ``bench/search/dev_*.jsonl`` stands in (and the output says which one ran).
- A synthetic corpus of any size for the speed benchmark: passages and articles recombined
  sentence by sentence (half Kazakh, half Russian), seeded, so every run sees the same text.
"""

from __future__ import annotations

import html
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qoldau.knowledge.search import Document

ROOT = Path(__file__).resolve().parents[2]
KAZQAD = (
    ROOT.parent
    / "shared"
    / "data"
    / "kazqad"
    / "kazqad-reading-comprehension-v1.0-kk-validation.jsonl"
)
if not KAZQAD.exists():  # the CI clone keeps shared/ beside the repository
    KAZQAD = Path("/work/shared/data/kazqad/kazqad-reading-comprehension-v1.0-kk-validation.jsonl")
DEMO_ARTICLES = ROOT / "qoldau" / "knowledge" / "demo" / "articles.jsonl"
DEMO_QUERIES = ROOT / "bench" / "search" / "queries.jsonl"
DEV_ARTICLES = ROOT / "bench" / "search" / "dev_articles.jsonl"
DEV_QUERIES = ROOT / "bench" / "search" / "dev_queries.jsonl"

# The groups the brief names; the product loads its groups from the knowledge base.
SYNONYMS: list[tuple[str, ...]] = [
    ("ЦОН", "ХҚКО", "центр обслуживания населения", "халыққа қызмет көрсету орталығы"),
    ("ЭЦП", "ЭЦҚ", "электронная цифровая подпись", "электрондық цифрлық қолтаңба"),
    ("ИИН", "ЖСН"),
    ("ЕНПФ", "БЖЗҚ"),
]


@dataclass(frozen=True)
class Query:
    text: str
    language: str
    relevant: frozenset[str]  # document keys
    style: str = "plain"


@dataclass
class Dataset:
    name: str
    documents: list[Document]
    queries: list[Query]
    notes: list[str] = field(default_factory=list)


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def kazqad() -> Dataset:
    contexts: dict[str, str] = {}
    relevant: dict[str, set[str]] = {}
    for row in _jsonl(KAZQAD):
        key = contexts.setdefault(row["context"], f"kazqad-{len(contexts)}")
        relevant.setdefault(row["question"].strip(), set()).add(key)
    documents = [
        Document(key=key, language="kk", title="", keywords=(), body=text, filters={})
        for text, key in contexts.items()
    ]
    queries = [Query(text, "kk", frozenset(keys)) for text, keys in relevant.items()]
    return Dataset("KazQAD kk validation", documents, queries)


def _keywords(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in re.split(r"[,;\n]", value) if part.strip())
    if isinstance(value, list):
        return tuple(str(part) for part in value)
    return ()


_TAG = re.compile(r"<[^>]+>")


def plain_text(markup: str) -> str:
    """Article HTML to plain text, as the knowledge app hands it to the index."""
    return html.unescape(_TAG.sub(" ", markup))


def article_documents(path: Path) -> list[Document]:
    documents = []
    for row in _jsonl(path):
        if row.get("published", True) is False:
            continue
        filters = {"kind": str(row.get("kind", ""))}
        if row.get("service_code"):
            filters["service"] = str(row["service_code"])
        documents.append(
            Document(
                key=f"{row['external_id']}:{row['language']}",
                language=str(row["language"]),
                title=str(row.get("title", "")),
                keywords=_keywords(row.get("keywords")),
                body=plain_text(str(row.get("body", ""))),
                filters=filters,
            )
        )
    return documents


def operator() -> Dataset:
    """The demo knowledge base and its labelled queries, or our development set if absent."""
    if DEMO_ARTICLES.exists() and DEMO_QUERIES.exists():
        articles, queries_path, name = DEMO_ARTICLES, DEMO_QUERIES, "operator-style (demo KB)"
        notes: list[str] = []
    else:
        articles, queries_path, name = DEV_ARTICLES, DEV_QUERIES, "operator-style (dev set)"
        notes = [f"{DEMO_ARTICLES.relative_to(ROOT)} or {DEMO_QUERIES.relative_to(ROOT)} missing"]
    documents = article_documents(articles)
    keys = {doc.key for doc in documents}
    queries = []
    for row in _jsonl(queries_path):
        language = str(row["language"])
        wanted = frozenset(f"{external}:{language}" for external in row["relevant"]) & keys
        if wanted:
            queries.append(
                Query(str(row["query"]), language, wanted, str(row.get("style", "plain")))
            )
    return Dataset(name, documents, queries, notes)


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def synthetic(size: int, seed: int = 1414) -> list[Document]:
    """``size`` documents, half Kazakh (KazQAD sentences), half Russian (article sentences)."""
    rng = random.Random(seed)
    kk_sentences = [s for d in kazqad().documents for s in _SENTENCE.split(d.body) if len(s) > 20]
    articles = operator().documents + article_documents(DEV_ARTICLES)
    for doc in articles:
        if doc.language == "kk":
            kk_sentences.extend(s for s in _SENTENCE.split(doc.body) if len(s) > 20)
    ru_sentences = [
        s for d in articles if d.language == "ru" for s in _SENTENCE.split(d.body) if len(s) > 20
    ]
    ru_titles = [d.title for d in articles if d.language == "ru"]
    kk_titles = [d.title for d in articles if d.language == "kk"]
    kinds = ["service", "how_to", "ict", "directory"]
    documents = []
    for number in range(size):
        language = "kk" if number % 2 == 0 else "ru"
        sentences = kk_sentences if language == "kk" else ru_sentences
        titles = kk_titles if language == "kk" else ru_titles
        title = (
            rng.choice(titles)
            if rng.random() < 0.5
            else " ".join(rng.choice(sentences).split()[:6])
        )
        documents.append(
            Document(
                key=f"syn-{number}:{language}",
                language=language,
                title=title,
                keywords=tuple(rng.choice(sentences).split()[:2]),
                body=" ".join(rng.choice(sentences) for _ in range(rng.randint(3, 9))),
                filters={"kind": rng.choice(kinds), "service": f"{rng.randint(1, 900):05d}"},
            )
        )
    return documents


def speed_queries(count: int, seed: int = 7) -> list[Query]:
    """Queries for the speed benchmark: KazQAD questions and operator queries, both languages."""
    rng = random.Random(seed)
    pool = kazqad().queries + operator().queries
    return [rng.choice(pool) for _ in range(count)]
