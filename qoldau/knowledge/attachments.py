"""Files attached to articles (R5): a form, a scheme. Type and size limits are checked on the
file's own bytes, and the stored name is random: the uploaded name never reaches the disk."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Final, Protocol

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from qoldau.audit.services import audit_record
from qoldau.core import clock
from qoldau.core.errors import NotFound
from qoldau.knowledge import cleaning
from qoldau.knowledge.actors import require_editor, user_id_of
from qoldau.knowledge.cleaning import Errors, message_with
from qoldau.knowledge.models import Article, ArticleAttachment

ATTACHMENT_MAX_BYTES: Final = 10 * 1024 * 1024
# Extension → (content type, the file's first bytes: one of these).
ATTACHMENT_TYPES: Final[dict[str, tuple[str, tuple[bytes, ...]]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
    ".odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
    ".doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    ".xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".txt": ("text/plain; charset=utf-8", ()),
}


class Upload(Protocol):
    """What an uploaded file offers (Django's UploadedFile does)."""

    @property
    def name(self) -> str | None: ...
    @property
    def size(self) -> int | None: ...
    def read(self, size: int = ...) -> bytes: ...


@dataclass(frozen=True)
class _CheckedFile:
    content: bytes
    extension: str
    content_type: str


def _check_upload(upload: Upload | None, errors: Errors) -> _CheckedFile | None:
    if upload is None:
        errors.add("file", "required", _("Choose a file."))
        return None
    extension = PurePath(upload.name or "").suffix.lower()
    if extension not in ATTACHMENT_TYPES:
        errors.add(
            "file",
            "bad_type",
            message_with(
                _("Attach a file of one of these types: %(types)s."),
                types=", ".join(sorted(ATTACHMENT_TYPES)),
            ),
        )
        return None
    if (upload.size or 0) > ATTACHMENT_MAX_BYTES:
        errors.add(
            "file",
            "too_large",
            message_with(
                _("The file is too large: at most %(limit)d MB."),
                limit=ATTACHMENT_MAX_BYTES // (1024 * 1024),
            ),
        )
        return None
    content = upload.read(ATTACHMENT_MAX_BYTES + 1)
    content_type, magic = ATTACHMENT_TYPES[extension]
    valid = bool(content) and len(content) <= ATTACHMENT_MAX_BYTES
    if valid and magic:
        valid = content.startswith(magic)
    elif valid:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            valid = False
    if not valid:
        errors.add("file", "bad_content", _("The file's content does not match its type."))
        return None
    return _CheckedFile(content, extension, content_type)


def attachment_add(
    *, actor: Any, article_id: int, upload: Upload | None, title: str, language: str = ""
) -> ArticleAttachment:
    require_editor(actor)
    errors = Errors()
    checked = _check_upload(upload, errors)
    title = cleaning.one_line(title) or cleaning.one_line(
        PurePath(upload.name or "").stem if upload else ""
    )
    if not title:
        errors.add("title", "required", _("Give the file a title."))
    elif len(title) > cleaning.TITLE_MAX:
        errors.add(
            "title",
            "too_long",
            message_with(_("Use at most %(limit)d characters."), limit=cleaning.TITLE_MAX),
        )
    if language and language not in cleaning.LANGUAGES:
        errors.add("language", "invalid_choice", _("Choose one of the listed languages."))
    errors.raise_if_any()
    assert checked is not None
    with transaction.atomic(durable=True):
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None:
            raise NotFound("not_found", _("No such article."))
        attachment = ArticleAttachment(
            article=article,
            title=title,
            language=language,
            content_type=checked.content_type,
            size=len(checked.content),
            uploaded_by_id=user_id_of(actor),
            uploaded_at=clock.now(),
        )
        # A random name: the uploaded one never reaches the file system.
        name = f"{secrets.token_hex(12)}{checked.extension}"
        attachment.file.save(name, ContentFile(checked.content), save=False)
        attachment.save()
        audit_record(
            actor=actor,
            action="knowledge.attachment_added",
            target=article,
            changes={"attachment_id": attachment.pk, "title": title, "size": attachment.size},
        )
    return attachment


def attachment_remove(*, actor: Any, attachment_id: int) -> None:
    require_editor(actor)
    with transaction.atomic(durable=True):
        attachment = ArticleAttachment.objects.select_for_update().filter(pk=attachment_id).first()
        if attachment is None:
            raise NotFound("not_found", _("No such attachment."))
        audit_record(
            actor=actor,
            action="knowledge.attachment_removed",
            target=attachment.article,
            changes={"attachment_id": attachment.pk, "title": attachment.title},
        )
        name = attachment.file.name
        storage = attachment.file.storage
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(name) if name else None)
