"""Log filters: every line carries the request id, and personal data never reaches the log."""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_IIN_BIN = re.compile(r"(?<!\d)(\d{2})\d{6}(\d{4})(?!\d)")
_PHONE = re.compile(
    r"(?<![\d+])(\+?7|8)[\s\-(]*(7\d{2})[\s\-)]*\d{3}[\s\-]*(\d{2})[\s\-]*(\d{2})(?!\d)"
)
_EMAIL = re.compile(r"([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})")


def mask_personal_data(text: str) -> str:
    """Mask IINs/BINs, Kazakhstan phone numbers and e-mail addresses in free text."""
    text = _PHONE.sub(lambda m: f"+7{m.group(2)}***{m.group(4)}", text)
    text = _IIN_BIN.sub(lambda m: f"{m.group(1)}******{m.group(2)}", text)
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)


# What every LogRecord has; anything else on a record came with ``extra`` (Django's
# ``django.request`` records carry the request, whose text includes the query string).
# The request id is ours (32 hex digits) and must stay whole to join a request's lines.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def _masked(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return mask_personal_data(str(value))


class PersonalDataMaskFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = mask_personal_data(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        for key, value in list(vars(record).items()):
            if key not in _RECORD_FIELDS:
                setattr(record, key, _masked(value))
        return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True
