"""Choices of recordings and recording requests (R17)."""

from django.db import models
from django.utils.translation import pgettext_lazy


class RequestStatus(models.TextChoices):
    FILED = "filed", pgettext_lazy("recording request", "Filed")
    LATE = "late", pgettext_lazy("recording request", "Late")
    DELIVERED = "delivered", pgettext_lazy("recording request", "Delivered")
    NONE_FOUND = "none_found", pgettext_lazy("recording request", "No recordings found")
    EXPIRED = "expired", pgettext_lazy("recording request", "Download expired")


# The written request document (p.14: "on a written request"): what the form accepts, by the
# file's first bytes, never by its name.
DOCUMENT_TYPES: dict[str, tuple[bytes, str]] = {
    "application/pdf": (b"%PDF-", "pdf"),
    "image/jpeg": (b"\xff\xd8\xff", "jpg"),
    "image/png": (b"\x89PNG\r\n\x1a\n", "png"),
}
