"""Demo knowledge base: the articles in demo/articles.jsonl (kk and ru how-tos, procedures,
competent bodies, ICT services) imported through the same path as ``qoldau kb import``, and the
service cards of the registry's services. DEMO DATA ONLY. Loading twice changes nothing."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

from qoldau.knowledge.importing import knowledge_import
from qoldau.knowledge.service_cards import knowledge_sync_service_cards

DEMO_FILE: Final = Path(__file__).resolve().parent / "demo" / "articles.jsonl"
logger = logging.getLogger(__name__)


def load_demo_knowledge(path: Path | None = None) -> int:
    """Import the demo articles and generate (and publish) the service cards of the registry's
    services; returns the number of revisions written (0 when everything was already there)."""
    source = path or DEMO_FILE
    written = 0
    if source.is_file():
        with source.open("rb") as stream:
            report = knowledge_import(actor=None, stream=stream, source=source.name)
        written += report.revisions_created
    else:
        logger.warning("demo knowledge base skipped: %s is missing", source)
    cards = knowledge_sync_service_cards(actor=None, publish=True)
    return written + cards.revisions_created
