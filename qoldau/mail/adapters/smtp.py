"""SMTP delivery of the outbox's "email" channel (smtplib).

Settings (read from the environment by config/settings.py): ``QOLDAU_SMTP_HOST``,
``QOLDAU_SMTP_PORT``, ``QOLDAU_SMTP_SECURITY`` (ssl, starttls or none), ``QOLDAU_SMTP_USER``,
``QOLDAU_SMTP_PASSWORD``, ``QOLDAU_SMTP_TIMEOUT``; the sender is ``QOLDAU_MAIL_FROM`` unless the
message names its own. A 4xx answer or a network error is temporary (the outbox retries with
backoff, same Message-ID); a 5xx answer about the message or its recipient is permanent. A
refused login is temporary: it is our configuration, not the recipient's fault.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, parseaddr

from django.conf import settings

from qoldau.core.outbox import Envelope, PermanentDeliveryError, TemporaryDeliveryError

DEFAULT_FROM = "Qoldau <noreply@qoldau.invalid>"
# Headers the transport writes itself; a message's own headers may not replace them.
_RESERVED = frozenset({"from", "to", "cc", "bcc", "subject", "message-id", "date"})
_AUTH_CODES = frozenset({530, 534, 535, 538})


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


def default_sender() -> str:
    return str(getattr(settings, "QOLDAU_MAIL_FROM", "") or DEFAULT_FROM)


def _address_of(value: str) -> str:
    return parseaddr(value)[1]


def build_email(envelope: Envelope) -> EmailMessage:
    """The message as it goes on the wire: UTF-8 text, the stored Message-ID and date."""
    recipient = _address_of(envelope.recipient)
    if "@" not in recipient:
        raise PermanentDeliveryError(f"not an e-mail address: {envelope.recipient!r}")
    message = EmailMessage(policy=SMTP)
    sender = envelope.sender or default_sender()
    name, address = parseaddr(sender)
    try:
        message["From"] = Address(display_name=_one_line(name), addr_spec=address)
    except (ValueError, IndexError) as exc:
        raise PermanentDeliveryError(f"not a sender address: {sender!r}") from exc
    message["To"] = recipient
    message["Subject"] = _one_line(envelope.subject)
    message["Message-ID"] = envelope.message_id
    message["Date"] = format_datetime(envelope.created_at)
    for header, value in envelope.headers.items():
        if header.lower() in _RESERVED or not header.replace("-", "").isalnum():
            continue
        message[header] = _one_line(value)
    message.set_content(envelope.body or "", charset="utf-8")  # clears Content-* headers
    if envelope.language:
        message["Content-Language"] = envelope.language
    return message


class SmtpTransport:
    """One SMTP session per delivery batch, opened on the first message."""

    def __init__(self) -> None:
        self.host = str(getattr(settings, "QOLDAU_SMTP_HOST", "127.0.0.1"))
        self.port = int(getattr(settings, "QOLDAU_SMTP_PORT", 25))
        self.security = str(getattr(settings, "QOLDAU_SMTP_SECURITY", "starttls"))
        self.user = str(getattr(settings, "QOLDAU_SMTP_USER", ""))
        self.password = str(getattr(settings, "QOLDAU_SMTP_PASSWORD", ""))
        self.timeout = float(getattr(settings, "QOLDAU_SMTP_TIMEOUT", 30))
        self._smtp: smtplib.SMTP | None = None

    def _session(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password)
        except BaseException:
            _quietly_close(smtp)
            raise
        self._smtp = smtp
        return smtp

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            _quietly_close(smtp)

    def send(self, envelope: Envelope) -> None:
        message = build_email(envelope)
        recipient = _address_of(envelope.recipient)
        sender = getaddresses([str(message["From"])])[0][1]
        try:
            self._session().send_message(message, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = next(iter(exc.recipients.values()), (550, b""))
            raise _error(int(code), answer) from exc
        except smtplib.SMTPResponseException as exc:
            self._drop()
            if exc.smtp_code in _AUTH_CODES:
                raise TemporaryDeliveryError(
                    f"the SMTP server refused our login: {exc.smtp_code}", code=exc.smtp_code
                ) from exc
            raise _error(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise TemporaryDeliveryError(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            _quietly_close(smtp)


def _error(code: int, answer: bytes | str) -> TemporaryDeliveryError | PermanentDeliveryError:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    message = f"{code} {text}".strip()
    if 500 <= code < 600:
        return PermanentDeliveryError(message, code=code)
    return TemporaryDeliveryError(message, code=code)


def _quietly_close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()
