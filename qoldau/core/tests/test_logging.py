from __future__ import annotations

import logging

import pytest

from qoldau.core.logging import PersonalDataMaskFilter, mask_personal_data


def test_iin_phone_and_email_are_masked() -> None:
    text = (
        "applicant 900101300123 called from +7 701 123 45 67 and 87019876543, mail aliya@example.kz"
    )
    masked = mask_personal_data(text)
    assert "900101300123" not in masked
    assert "90******0123" in masked
    assert "123 45 67" not in masked
    assert "9876543" not in masked
    assert "+7701***67" in masked
    assert "aliya@" not in masked
    assert "a***@example.kz" in masked


def test_filter_masks_arguments_and_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("qoldau.test.masking")
    logger.addFilter(PersonalDataMaskFilter())
    try:
        with caplog.at_level(logging.INFO, logger="qoldau.test.masking"):
            logger.info("lookup for %s", "900101300123")
            try:
                raise ValueError("bad phone 87011234567")
            except ValueError:
                logger.exception("failed")
    finally:
        logger.filters.clear()
    rendered = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "900101300123" not in rendered
    assert "87011234567" not in rendered
    assert "90******0123" in rendered
