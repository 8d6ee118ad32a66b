"""Knowledge-base search (R6): Kazakh and Russian analysis and an in-memory BM25F index.

Pure Python (no Django), so it can be tested and benchmarked alone; see docs/search.md and
docs/adr/0004-search-engine.md.
"""

from qoldau.knowledge.search.analyzer import analyze, analyze_query, normalise
from qoldau.knowledge.search.highlight import highlight
from qoldau.knowledge.search.index import Document, Hit, SearchIndex

__all__ = ["Document", "Hit", "SearchIndex", "analyze", "analyze_query", "highlight", "normalise"]
