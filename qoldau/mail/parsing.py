"""Reading raw e-mail (R9): pure functions, no database, and ``parse_message`` never raises.

What arrives at a contact center in Kazakhstan: UTF-8, windows-1251 (and its Kazakh variant
KZ-1048), KOI8-R and ISO-8859-5 bodies in quoted-printable or base64; RFC 2047 encoded-words in
headers, broken in every way a mail program can break them; 8-bit headers with no encoding at all;
bodies without a charset; multipart/alternative with an empty text part; forwarded messages;
attachments named by RFC 2231 or by encoded-words; and now and then a malformed or enormous
message. Whatever could be read is returned, with flags saying what was wrong.

Charsets, encoded-words and HTML are in ``decoding.py``; Kazakh-or-Russian in ``language.py``.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import logging
import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from qoldau.mail.decoding import (
    META_CHARSET,
    clean_line,
    clean_text,
    decode_bytes,
    decode_header_value,
    html_to_text,
    raw_header_text,
)
from qoldau.mail.language import detect_language, own_words

logger = logging.getLogger(__name__)

DEFAULT_MAX_TEXT_CHARS = 100_000
DEFAULT_OVERSIZED_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 30
MAX_PARTS = 2000

# Defects that are not worth calling a message malformed.
_BENIGN_DEFECTS = frozenset({"missing_date", "missing_message_id", "charset_guessed"})


# --- results ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes
    sha256: str
    content_id: str = ""
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ParsedMessage:
    size: int = 0
    message_id: str = ""
    from_address: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: str = ""
    subject: str = ""
    date: dt.datetime | None = None
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    text: str = ""
    text_source: str = ""  # "plain", "html" or ""
    language: str = ""
    classification: str = "normal"
    bounced_message_id: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    oversized: bool = False
    truncated: bool = False

    @property
    def malformed(self) -> bool:
        return any(code not in _BENIGN_DEFECTS for code in self.defects)

    def add_defect(self, code: str) -> None:
        if code not in self.defects:
            self.defects.append(code)


# --- hashing and cleaning -----------------------------------------------------------------------
def content_sha256(raw: bytes) -> str:
    """SHA-256 of a raw message with line endings normalised (an IMAP server sends CRLF, the
    same message in a Maildir file has LF), so the same message hashes the same from anywhere."""
    normalised = raw.replace(b"\r\n", b"\n").rstrip(b"\n")
    return hashlib.sha256(normalised).hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- addresses, ids, dates ----------------------------------------------------------------------
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def clean_message_id(value: str) -> str:
    """``<id@host>`` (the first one) from a Message-ID header, or the bare token if unbracketed."""
    text = clean_line(value, 2000)
    found = _MESSAGE_ID.search(text)
    if found:
        return found.group(0)[:998]
    token = text.split(" ")[0] if text else ""
    return f"<{token.strip('<>')}>"[:998] if token else ""


def message_ids(value: str) -> list[str]:
    """Every Message-ID in References/In-Reply-To, in order, without repeats."""
    found = _MESSAGE_ID.findall(clean_text(value))
    if not found:
        found = [f"<{token.strip('<>')}>" for token in value.split() if "@" in token]
    seen: set[str] = set()
    ordered = []
    for item in found:
        if item not in seen and len(item) <= 998:
            seen.add(item)
            ordered.append(item)
    return ordered[:100]


def _address_list(values: Iterable[str]) -> list[tuple[str, str]]:
    """(name, address) pairs of raw address headers. Split first, decode names after, so a
    decoded name with a comma in it ("Иванов, Иван") does not split one address in two."""
    unfolded = [raw_header_text(re.sub(r"\r?\n[ \t]*", " ", str(v)))[0] for v in values]
    try:
        pairs = getaddresses(unfolded)
    except Exception:  # getaddresses has raised on hostile input in older Pythons
        return []
    result = []
    for name, address in pairs:
        address = clean_line(address, 320).strip("<>").lower()
        if "@" in address:
            result.append((clean_line(decode_header_value(name), 300), address))
    return result


def _parse_date(value: str, parsed: ParsedMessage) -> dt.datetime | None:
    if not value.strip():
        parsed.add_defect("missing_date")
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed.add_defect("invalid_date")
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if not 1990 <= moment.year <= 2100:
        parsed.add_defect("invalid_date")
        return None
    return moment.astimezone(dt.UTC)


# --- classification (RFC 3834) ------------------------------------------------------------------
_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
_BOUNCE_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster"})


class _Headers:
    """Case-insensitive access to the raw headers of a message (compat32 keeps them as read)."""

    def __init__(self, message: Message) -> None:
        self.items: dict[str, list[str]] = {}
        try:
            self.pairs = [(str(k), str(v)) for k, v in message.raw_items()]
        except Exception:
            self.pairs = []
        for name, value in self.pairs:
            self.items.setdefault(str(name).strip().lower(), []).append(str(value))

    def first(self, name: str) -> str:
        values = self.items.get(name.lower())
        return values[0] if values else ""

    def all(self, name: str) -> list[str]:
        return self.items.get(name.lower(), [])

    def has(self, name: str) -> bool:
        return name.lower() in self.items

    def token(self, name: str) -> str:
        """The value lowercased, without parameters or comments: "auto-replied"."""
        value = decode_header_value(self.first(name)).lower()
        return value.split(";", 1)[0].split("(", 1)[0].strip()


def classify(
    headers: _Headers,
    *,
    from_address: str,
    content_type: str,
    report_type: str,
    own_addresses: frozenset[str],
) -> str:
    """normal, auto_reply, bounce, list or own; see RFC 3834 section 2 and 5."""
    loops = {decode_header_value(v).strip().strip("<>").lower() for v in headers.all("x-loop")}
    if (from_address and from_address in own_addresses) or (loops & own_addresses):
        return "own"
    local_part = from_address.split("@", 1)[0] if from_address else ""
    is_report = content_type == "multipart/report" and report_type == "delivery-status"
    if is_report or local_part in _BOUNCE_LOCAL_PARTS:
        return "bounce"
    auto_submitted = headers.token("auto-submitted")
    precedence = headers.token("precedence")
    if (
        (auto_submitted and auto_submitted != "no")
        or headers.has("x-autoreply")
        or headers.has("x-autorespond")
        or headers.has("x-autoresponder")
        or precedence == "auto_reply"
        or (content_type == "multipart/report" and report_type == "disposition-notification")
    ):
        return "auto_reply"
    if (
        precedence in _BULK_PRECEDENCE
        or headers.has("list-id")
        or headers.has("list-unsubscribe")
        or headers.has("list-post")
    ):
        return "list"
    return_paths = headers.all("return-path")
    if return_paths and all(v.strip() in ("<>", "") for v in return_paths):
        return "bounce"  # a null envelope sender: a notification of some kind, never a person
    return "normal"


# --- the MIME walk ------------------------------------------------------------------------------
@dataclass
class _Walk:
    texts: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    charset_guessed: bool = False
    undecodable: bool = False
    bounced_ids: list[str] = field(default_factory=list)
    parts_seen: int = 0
    too_deep: bool = False


def _filename(part: Message) -> str:
    try:
        # Content-Disposition filename, else Content-Type name; RFC 2231 decoded.
        name = str(part.get_filename() or "")
    except Exception:  # malformed RFC 2231 parameters
        name = ""
    name = decode_header_value(name)
    name = re.sub(r"[\\/]", "_", name).strip(" .")
    return clean_line(name, 200)


def _content_type(part: Message) -> str:
    try:
        return str(part.get_content_type()).lower()
    except Exception:
        return "application/octet-stream"


def _disposition(part: Message) -> str:
    try:
        return str(part.get_content_disposition() or "")
    except Exception:
        return ""


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _part_text(part: Message, walk: _Walk) -> str:
    data = _payload_bytes(part)
    declared = None
    try:
        declared = part.get_content_charset()
    except Exception:
        declared = None
    if declared is None and _content_type(part) == "text/html":
        meta = META_CHARSET.search(data[:4096])
        if meta:
            declared = meta.group(1).decode("ascii", "replace")
    text, guessed = decode_bytes(data, declared)
    if guessed and any(byte >= 0x80 for byte in data):
        walk.charset_guessed = True
    if "\ufffd" in text and b"\xef\xbf\xbd" not in data:
        walk.undecodable = True
    return text


def _add_attachment(part: Message, walk: _Walk, *, data: bytes | None = None) -> None:
    content_type = _content_type(part)
    payload = _payload_bytes(part) if data is None else data
    name = _filename(part)
    if not name:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        name = f"attachment-{len(walk.attachments) + 1}{extension}"
    content_id = clean_line(str(part.get("Content-ID", "") or ""), 255).strip("<>")
    walk.attachments.append(
        ParsedAttachment(
            filename=name,
            content_type=content_type[:255],
            data=payload,
            sha256=sha256_bytes(payload),
            content_id=content_id,
            inline=_disposition(part) == "inline",
        )
    )


def _contains(part: Message, content_type: str, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return False
    if _content_type(part) == content_type:
        return True
    payload = part.get_payload()
    if isinstance(payload, list):
        return any(
            isinstance(p, Message) and _contains(p, content_type, depth + 1) for p in payload
        )
    return False


def _choose_alternative(parts: list[Message]) -> Message | None:
    """RFC 2046 orders alternatives plainest first; we prefer a non-empty text/plain, else HTML."""
    for part in parts:
        plain = _contains(part, "text/plain")
        if plain and (_content_type(part) != "text/plain" or _payload_bytes(part).strip()):
            return part
    for part in parts:
        if _contains(part, "text/html"):
            return part
    return parts[-1] if parts else None


def _forwarded_header(inner: Message) -> str:
    headers = _Headers(inner)
    lines = ["---------- Forwarded message ----------"]
    for name in ("From", "Date", "Subject", "To"):
        value = decode_header_value(headers.first(name))
        if value:
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _walk(part: Message, walk: _Walk, depth: int) -> None:
    walk.parts_seen += 1
    if depth > MAX_DEPTH or walk.parts_seen > MAX_PARTS:
        walk.too_deep = True
        return
    content_type = _content_type(part)
    disposition = _disposition(part)
    payload = part.get_payload()
    if content_type.startswith("message/") and isinstance(payload, list):
        if content_type == "message/delivery-status":
            # Parsed as blocks of headers: keep them as the text a person would read.
            blocks = [
                "\n".join(f"{k}: {decode_header_value(v)}" for k, v in _Headers(b).pairs)
                for b in payload
                if isinstance(b, Message)
            ]
            walk.texts.append("\n\n".join(blocks))
            return
        inner = payload[0] if payload and isinstance(payload[0], Message) else None
        if inner is None:
            return
        if content_type == "message/rfc822":
            sub = _Walk()
            _walk(inner, sub, depth + 1)
            walk.texts.append(_forwarded_header(inner) + "\n\n" + "\n\n".join(sub.texts))
            walk.sources.extend(sub.sources)
            walk.attachments.extend(sub.attachments)
            walk.charset_guessed |= sub.charset_guessed
            walk.undecodable |= sub.undecodable
            mid = clean_message_id(_Headers(inner).first("message-id"))
            if mid:
                walk.bounced_ids.append(mid)
            if disposition == "attachment":
                try:
                    data = inner.as_bytes(policy=email.policy.compat32)
                except Exception:
                    data = b""
                _add_attachment(part, walk, data=data)
        return
    if isinstance(payload, list):
        children = [p for p in payload if isinstance(p, Message)]
        if content_type == "multipart/alternative":
            chosen = _choose_alternative(children)
            for child in children:
                if child is chosen:
                    _walk(child, walk, depth + 1)
                elif not _content_type(child).startswith(("text/", "multipart/")):
                    _add_attachment(child, walk)
        elif content_type == "multipart/related" and children:
            _walk(children[0], walk, depth + 1)
            for child in children[1:]:
                if isinstance(child.get_payload(), list):
                    _walk(child, walk, depth + 1)
                else:
                    _add_attachment(child, walk)
        else:
            for child in children:
                _walk(child, walk, depth + 1)
        return
    filename = _filename(part)
    if content_type.startswith("multipart/"):
        # A multipart whose boundary is missing or never found: its body is all we have.
        content_type = "text/plain"
    if content_type in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        text = _part_text(part, walk)
        if content_type == "text/html":
            text = html_to_text(text)
        if text.strip():
            walk.texts.append(text.strip("\n"))
            walk.sources.append("html" if content_type == "text/html" else "plain")
        return
    if content_type == "message/delivery-status":
        walk.texts.append(_part_text(part, walk).strip())
        return
    if content_type == "text/rfc822-headers":
        text = _part_text(part, walk)
        try:
            headers = email.message_from_string(text + "\n\n", policy=email.policy.compat32)
            mid = clean_message_id(str(headers.get("Message-ID", "") or ""))
        except Exception:
            mid = ""
        if mid:
            walk.bounced_ids.append(mid)
    _add_attachment(part, walk)


# --- the entry point ----------------------------------------------------------------------------
def quick_message_id(raw: bytes) -> str:
    """The Message-ID from the headers alone (cheap; used when storing before parsing)."""
    try:
        headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw[: 256 * 1024])
        return clean_message_id(decode_header_value(_Headers(headers).first("message-id")))
    except Exception:
        return ""


def parse_message(
    raw: bytes,
    *,
    own_addresses: Iterable[str] = (),
    default_language: str = "ru",
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    oversized_bytes: int = DEFAULT_OVERSIZED_BYTES,
) -> ParsedMessage:
    """Everything readable in ``raw``; never raises. ``defects`` says what was wrong."""
    parsed = ParsedMessage(size=len(raw))
    ours = frozenset(a.strip().lower() for a in own_addresses if a)
    if len(raw) > oversized_bytes:
        parsed.oversized = True
    if b"\x00" in raw:
        parsed.add_defect("nul_bytes")
    try:
        _parse_into(parsed, raw, ours, default_language, max_text_chars)
    except Exception:  # the parser has bugs we have not met yet; keep what we have
        logger.warning("mail parsing: unexpected error, message kept as read", exc_info=True)
        parsed.add_defect("parser_error")
        if not parsed.text:
            body = raw.split(b"\n\n", 1)[-1][: max_text_chars * 4]
            parsed.text = clean_text(decode_bytes(body, None)[0])[:max_text_chars]
    if not parsed.language:
        parsed.language = detect_language(
            own_words(parsed.subject + "\n" + parsed.text), default=default_language
        )
    return parsed


def _parse_into(
    parsed: ParsedMessage,
    raw: bytes,
    ours: frozenset[str],
    default_language: str,
    max_text_chars: int,
) -> None:
    message = BytesParser(policy=email.policy.compat32).parsebytes(raw)
    headers = _Headers(message)

    parsed.message_id = clean_message_id(decode_header_value(headers.first("message-id")))
    if not parsed.message_id:
        parsed.add_defect("missing_message_id")
    senders = _address_list(headers.all("from"))
    if senders:
        parsed.from_name, parsed.from_address = senders[0]
    else:
        name, address = parseaddr(decode_header_value(headers.first("from")))
        parsed.from_name = clean_line(name, 300)
        parsed.from_address = clean_line(address, 320).lower() if "@" in address else ""
        if not parsed.from_address:
            parsed.add_defect("missing_from")
    parsed.to = [a for _n, a in _address_list(headers.all("to"))]
    parsed.cc = [a for _n, a in _address_list(headers.all("cc"))]
    reply_to = _address_list(headers.all("reply-to"))
    parsed.reply_to = reply_to[0][1] if reply_to else ""
    parsed.subject = clean_line(decode_header_value(headers.first("subject")), 2000)
    parsed.date = _parse_date(decode_header_value(headers.first("date")), parsed)
    in_reply_to = message_ids(decode_header_value(headers.first("in-reply-to")))
    parsed.in_reply_to = in_reply_to[0] if in_reply_to else ""
    parsed.references = message_ids(
        " ".join(decode_header_value(v) for v in headers.all("references"))
    )

    walk = _Walk()
    _walk(message, walk, 0)
    text = clean_text("\n\n".join(t for t in walk.texts if t))
    if len(text) > max_text_chars:
        text = text[:max_text_chars]
        parsed.truncated = True
    parsed.text = text
    parsed.text_source = walk.sources[0] if walk.sources else ""
    parsed.attachments = walk.attachments
    content_type = _content_type(message)
    try:
        report_type = str(message.get_param("report-type") or "").lower()
    except Exception:
        report_type = ""
    parsed.classification = classify(
        headers,
        from_address=parsed.from_address,
        content_type=content_type,
        report_type=report_type,
        own_addresses=ours,
    )
    if parsed.classification == "bounce" and walk.bounced_ids:
        parsed.bounced_message_id = walk.bounced_ids[0]

    if walk.charset_guessed:
        parsed.add_defect("charset_guessed")
    if walk.undecodable:
        parsed.add_defect("undecodable_text")
    if walk.too_deep:
        parsed.add_defect("too_deeply_nested")
    for part_defect in _all_defects(message):
        parsed.add_defect(part_defect)
    parsed.language = detect_language(
        own_words(parsed.subject + "\n" + parsed.text), default=default_language
    )


def _camel_to_snake(name: str) -> str:
    name = name.removesuffix("Defect")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _all_defects(message: Message) -> list[str]:
    found: list[str] = []
    try:
        parts = list(message.walk())
    except Exception:
        return ["mime_structure"]
    for part in parts[:MAX_PARTS]:
        for defect in getattr(part, "defects", []) or []:
            code = _camel_to_snake(type(defect).__name__)
            if code not in found:
                found.append(code)
    return found
