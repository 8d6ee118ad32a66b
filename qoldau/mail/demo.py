"""The demo mailbox: a Maildir under var/mail/inbox read like a server (no IMAP needed), with a
few citizens' letters in Kazakh and Russian, one of them in windows-1251 the way older mail
programs still send it. DEMO DATA ONLY. Loading twice changes nothing.

Drop any .eml file into var/mail/inbox/new/ while the demo runs: the worker reads it within a
minute. With ``QOLDAU_MAIL_TRANSPORT=qoldau.mail.adapters.maildir.MaildirTransport`` the
acknowledgements land in var/mail/sent/ instead of going to an SMTP server.
"""

from __future__ import annotations

import os
from email.message import EmailMessage
from pathlib import Path
from typing import Final

from django.conf import settings

from qoldau.mail.adapters.maildir import ensure_maildir
from qoldau.mail.enums import Language, MailboxKind
from qoldau.mail.models import Mailbox

DEMO_MAILBOX: Final = "demo"
DEMO_ADDRESS: Final = "info@1414.demo.kz"

_LETTERS: Final = [
    (
        "Айгүл Серікқызы <aigul.demo@example.kz>",
        "Мекенжай анықтамасы",
        "Сәлеметсіз бе! Маған тұрғылықты жері бойынша тіркеу туралы анықтама керек. "
        "Оны электрондық үкімет порталы арқылы қалай алуға болады және қанша уақыт кетеді?",
        "utf-8",
    ),
    (
        "Иван Петров <ivan.demo@example.kz>",
        "Справка о несудимости",
        "Здравствуйте! Подал заявление на справку о несудимости через портал неделю назад, "
        "статус не меняется. Подскажите, куда обратиться?",
        "windows-1251",
    ),
    (
        "Нұрлан Ахметов <nurlan.demo@example.kz>",
        "ЭЦҚ мерзімі",
        "Сәлеметсіз бе, ЭЦҚ мерзімі бітіп қалды. Жаңасын ХҚКО-ға бармай алуға бола ма?",
        "utf-8",
    ),
]


def demo_maildir() -> Path:
    return Path(settings.VAR_DIR) / "mail" / "inbox"


def load_demo_mailbox(*, with_letters: bool = True) -> Mailbox:
    """Create the demo mailbox (a Maildir under var/) and, the first time, put letters in it."""
    root = demo_maildir()
    ensure_maildir(root)
    mailbox, created = Mailbox.objects.get_or_create(
        name=DEMO_MAILBOX,
        defaults={
            "address": DEMO_ADDRESS,
            "kind": MailboxKind.MAILDIR,
            "maildir_path": str(root),
            "folder": "INBOX",
            "default_language": Language.KK,
            "host": "",
        },
    )
    if created and with_letters and not any((root / "new").iterdir()):
        for number, (sender, subject, body, charset) in enumerate(_LETTERS, start=1):
            letter = EmailMessage()
            letter["From"] = sender
            letter["To"] = DEMO_ADDRESS
            letter["Subject"] = subject
            letter["Message-ID"] = f"<demo-{number}@example.kz>"
            letter["Date"] = "Mon, 12 Feb 2024 10:15:00 +0500"
            letter.set_content(body, charset=charset)
            name = f"demo-{number}.{os.getpid()}.qoldau"
            (root / "tmp" / name).write_bytes(letter.as_bytes())
            os.replace(root / "tmp" / name, root / "new" / name)
    return mailbox
