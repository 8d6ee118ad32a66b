"""E-mail import (issue 4): messages per second importing a Maildir of realistic messages
(kk/ru; utf-8, cp1251, koi8-r; quoted-printable and base64; some attachments; some replies to
earlier ones) through ``qoldau mail import-eml DIR``, which stores each message and opens or
threads an appeal through the real handler. Beside it, in the same run, the parsing ceiling:
``mailbox.Maildir`` + ``email.message_from_bytes(policy=default)`` reading the same files alone.

    .venv/bin/python -m bench.appeals.mail_import [--messages 10000 | --quick] [--markdown]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import mailbox
import random
import time
from email.message import EmailMessage
from pathlib import Path

from bench.knowledge.common import PYTHON, QOLDAU, backend, log, markdown, run

KK = [
    "Сәлеметсіз бе! Маған мекенжай анықтамасын алу керек. Қалай алуға болады?",
    "ЭЦҚ мерзімі өтіп кетті, жаңасын қалай алуға болады?",
    "Баламның туу туралы куәлігін eGov арқылы алуға бола ма?",
    "ХҚКО-да кезек өте ұзақ, онлайн жазылуға бола ма?",
    "Зейнетақы жинақтарым туралы үзінді көшірмені қайдан аламын?",
]
RU = [
    "Здравствуйте! Как получить адресную справку через портал?",
    "Срок действия ЭЦП истёк, как получить новую?",
    "Подал заявление на пособие месяц назад, ответа нет. Прошу разобраться.",
    "Можно ли записаться в ЦОН онлайн? Очереди очень длинные.",
    "Где получить выписку из ЕНПФ о пенсионных накоплениях?",
]
_COUNT = """
import django, json; django.setup()
from qoldau.appeals.models import Appeal, AppealMessage
print(json.dumps({"appeals": Appeal.objects.filter(channel="email").count(),
                  "links": AppealMessage.objects.count()}))
"""


def generate(folder: Path, count: int, seed: int = 1414) -> int:
    """A Maildir of ``count`` messages; returns its size in bytes."""
    rng = random.Random(seed)
    box = mailbox.Maildir(str(folder), create=True)
    ids: list[str] = []
    size = 0
    for n in range(count):
        language = rng.choice(["kk", "ru"])
        charset = "utf-8" if language == "kk" else rng.choice(["utf-8", "cp1251", "koi8-r"])
        cte = rng.choice(["quoted-printable", "base64", "8bit"])
        lines = rng.sample(KK if language == "kk" else RU, k=rng.randint(1, 4))
        body = "\n\n".join(lines) + f"\n\n-- \nЗаявитель {n}\n"
        message = EmailMessage()
        message["From"] = f"Азамат {n} <c{n % 4000}x{n}@example.kz>"
        message["To"] = "info@1414.test"
        message["Date"] = "Mon, 12 Feb 2024 10:15:00 +0500"
        message_id = f"<m{n}.{seed}@example.kz>"
        message["Message-ID"] = message_id
        subject = (KK if language == "kk" else RU)[n % 5][:40]
        if ids and rng.random() < 0.15:  # a reply to an earlier message: threads into it
            parent = rng.choice(ids[-500:])
            message["Subject"] = "Re: " + subject
            message["In-Reply-To"] = parent
            message["References"] = parent
        else:
            message["Subject"] = subject
        message.set_content(body, charset=charset, cte=cte)
        if rng.random() < 0.10:
            message.add_attachment(
                rng.randbytes(rng.randint(2_000, 30_000)),
                maintype="application",
                subtype="pdf",
                filename=f"анықтама-{n}.pdf",
            )
        raw = message.as_bytes()
        size += len(raw)
        box.add(raw)
        ids.append(message_id)
    return size


def parse_peer(folder: Path) -> tuple[int, float]:
    started = time.perf_counter()
    box = mailbox.Maildir(str(folder), factory=None, create=False)
    count = 0
    for key in box.iterkeys():
        with box.get_file(key) as handle:
            message = email.message_from_bytes(handle.read(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain", "html"))
        if body is not None:
            body.get_content()
        count += 1
    return count, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="500 messages")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    count = 500 if args.quick else args.messages
    with backend(args.database) as env:
        folder = Path(env["BENCH_TMP"]) / "Maildir"
        size = generate(folder, count)
        log(f"{count} messages, {size / 1e6:.1f} MB; parsing peer")
        parsed, peer_seconds = parse_peer(folder)
        log("qoldau mail import-eml")
        started = time.perf_counter()
        done = run([QOLDAU, "mail", "import-eml", str(folder)], env, timeout=7200)
        app_seconds = time.perf_counter() - started
        counts = json.loads(run([PYTHON, "-c", _COUNT], env, timeout=120).stdout.splitlines()[-1])
    rows = [
        [
            f"app: qoldau mail import-eml ({args.database})",
            count,
            f"{app_seconds:.1f}",
            f"{count / app_seconds:.0f}",
            f"{counts['appeals']} appeals, {counts['links']} messages linked",
        ],
        [
            "peer: mailbox.Maildir + message_from_bytes(policy=default)",
            parsed,
            f"{peer_seconds:.1f}",
            f"{parsed / peer_seconds:.0f}",
            "parse + body only",
        ],
    ]
    headers = ["what", "messages", "seconds", "messages/s", "result"]
    print(markdown(headers, rows) if args.markdown else json.dumps(rows))
    print(done.stdout.strip())


if __name__ == "__main__":
    main()
