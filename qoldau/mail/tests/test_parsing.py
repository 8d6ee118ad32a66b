"""parsing.py: every common encoding, broken MIME and headers, huge messages, language, RFC 3834
classification. Messages are built with the email package the way real mail programs send them."""

from __future__ import annotations

import base64
import datetime as dt
import quopri
from email.header import Header
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from qoldau.mail import parsing
from qoldau.mail.decoding import decode_bytes, decode_header_value, html_to_text
from qoldau.mail.language import detect_language, own_words
from qoldau.mail.parsing import content_sha256, parse_message, quick_message_id

RUSSIAN = (
    "Здравствуйте! Прошу помочь: я подал заявление на получение справки о несудимости через "
    "портал электронного правительства, но ответа до сих пор нет. Что мне делать?"
)
KAZAKH = (
    "Сәлеметсіз бе! Мен электрондық үкімет порталы арқылы соттылығы жоқ екендігі туралы "
    "анықтама алуға өтініш бердім, бірақ әлі жауап келген жоқ. Не істеуім керек?"
)
HEADERS = "From: citizen@example.kz\nTo: info@1414.kz\nDate: Mon, 12 Feb 2024 10:15:00 +0500\n"


def _raw(headers: str, body: bytes) -> bytes:
    return headers.encode("ascii") + b"\n" + body


def _text_message(text: str, charset: str, encoding: str) -> bytes:
    data = text.encode(charset)
    if encoding == "base64":
        payload = base64.encodebytes(data)
    elif encoding == "quoted-printable":
        payload = quopri.encodestring(data)
    else:
        payload = data
    headers = (
        HEADERS + "Message-ID: <enc@example.kz>\nSubject: test\nMIME-Version: 1.0\n"
        f'Content-Type: text/plain; charset="{charset}"\n'
        f"Content-Transfer-Encoding: {encoding}\n"
    )
    return _raw(headers, payload)


# --- encodings ---------------------------------------------------------------------------------
@pytest.mark.parametrize("charset", ["utf-8", "windows-1251", "koi8-r", "iso-8859-5"])
@pytest.mark.parametrize("encoding", ["8bit", "quoted-printable", "base64"])
def test_russian_bodies_in_every_common_charset_and_transfer_encoding(
    charset: str, encoding: str
) -> None:
    parsed = parse_message(_text_message(RUSSIAN, charset, encoding))
    assert parsed.text == RUSSIAN
    assert parsed.language == "ru"
    assert not parsed.malformed
    assert "charset_guessed" not in parsed.defects


@pytest.mark.parametrize("charset", ["utf-8", "kz-1048"])
@pytest.mark.parametrize("encoding", ["quoted-printable", "base64"])
def test_kazakh_bodies_in_utf8_and_the_kazakh_windows_charset(charset: str, encoding: str) -> None:
    parsed = parse_message(_text_message(KAZAKH, charset, encoding))
    assert parsed.text == KAZAKH
    assert parsed.language == "kk"


@pytest.mark.parametrize(
    ("codec", "text"),
    [
        ("utf-8", RUSSIAN),
        ("cp1251", RUSSIAN),
        ("koi8-r", RUSSIAN),
        ("utf-8", KAZAKH),
        ("kz1048", KAZAKH),
    ],
)
def test_a_body_without_a_charset_is_guessed_by_plausibility(codec: str, text: str) -> None:
    headers = HEADERS + "Subject: x\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bit\n"
    parsed = parse_message(_raw(headers, text.encode(codec)))
    assert parsed.text == text
    assert not parsed.malformed  # a guessed charset is worth a note, not a "malformed" flag


@pytest.mark.parametrize("text", ["Добрый день", "Привет", "Справка", "Где ЦОН?"])
def test_short_texts_are_guessed_right_too(text: str) -> None:
    for codec in ("cp1251", "koi8-r"):
        assert decode_bytes(text.encode(codec), None)[0] == text


def test_utf8_declared_as_windows_1251_is_read_as_utf8() -> None:
    raw = _text_message(RUSSIAN, "utf-8", "8bit").replace(b"utf-8", b"windows-1251")
    assert parse_message(raw).text == RUSSIAN


def test_us_ascii_declared_with_8bit_cyrillic_is_guessed() -> None:
    raw = _text_message(RUSSIAN, "cp1251", "8bit").replace(b"windows-1251", b"us-ascii")
    assert parse_message(raw).text == RUSSIAN


def test_an_unknown_charset_label_is_guessed() -> None:
    raw = _text_message(RUSSIAN, "koi8-r", "8bit").replace(b"koi8-r", b"x-unknown-cyr")
    assert parse_message(raw).text == RUSSIAN


def test_misspelt_charset_labels_are_understood() -> None:
    for label in ("win-1251", "cp-1251", "windows1251"):
        assert decode_bytes("Справка".encode("cp1251"), label) == ("Справка", False)


# --- headers -----------------------------------------------------------------------------------
@pytest.mark.parametrize("charset", ["utf-8", "windows-1251", "koi8-r", "iso-8859-5"])
@pytest.mark.parametrize("header_encoding", ["b", "q"])
def test_rfc2047_subjects_and_names(charset: str, header_encoding: str) -> None:
    subject = "Справка о несудимости — срочно"
    if charset == "utf-8":
        pass
    else:
        subject = subject.replace("—", "-")
    encoded = Header(subject, charset).encode()
    if header_encoding == "q":
        data = subject.encode(charset)
        encoded = "=?{}?Q?{}?=".format(
            charset, "".join(f"={b:02X}" if b > 127 or b in b" ?=_" else chr(b) for b in data)
        )
    name = Header("Иван Петров", charset).encode()
    raw = _raw(
        f"From: {name} <ivan@example.kz>\nTo: info@1414.kz\nSubject: {encoded}\n"
        "Message-ID: <h@x>\nDate: Mon, 12 Feb 2024 10:15:00 +0500\n",
        b"body\n",
    )
    parsed = parse_message(raw)
    assert parsed.subject == subject
    assert parsed.from_name == "Иван Петров"
    assert parsed.from_address == "ivan@example.kz"


def test_encoded_words_split_inside_a_character_are_joined() -> None:
    data = "Қазақстан".encode()
    first, second = data[:3], data[3:]  # the cut falls inside the two bytes of "а"
    value = (
        f"=?utf-8?B?{base64.b64encode(first).decode()}?= "
        f"=?utf-8?B?{base64.b64encode(second).decode()}?="
    )
    assert decode_header_value(value) == "Қазақстан"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # glued words without whitespace
        ("=?utf-8?B?0KHQv9GA0LA=?==?utf-8?B?0LLQutCw?=", "Справка"),
        # missing base64 padding
        ("=?utf-8?B?0KHQv9GA0LDQstC60LA?=", "Справка"),
        # a lowercase encoding letter and spaces inside a Q word (broken encoders do that)
        ("=?windows-1251?q?=D1=EF=F0=E0=E2=EA=E0 =EE?=", "Справка о"),
        # an unknown charset name: guessed from the bytes
        ("=?x-bogus?B?0KHQv9GA0LDQstC60LA=?=", "Справка"),
        # plain text around encoded words keeps its spaces
        ("Re: =?utf-8?B?0KHQv9GA0LDQstC60LA=?= No. 5", "Re: Справка No. 5"),
        # an unterminated encoded word stays as text
        ("=?utf-8?B?0KHQv9GA", "=?utf-8?B?0KHQv9GA"),
        # RFC 2231 language suffix in the charset
        ("=?utf-8*kk?B?0prQsNC30LDSm9GB0YLQsNC9?=", "Қазақстан"),
    ],
)
def test_broken_encoded_words_are_still_read(value: str, expected: str) -> None:
    assert decode_header_value(value) == expected


def test_raw_8bit_headers_without_any_encoding_are_guessed() -> None:
    raw = (
        b"From: \xc8\xe2\xe0\xed <ivan@example.kz>\nSubject: \xd1\xef\xf0\xe0\xe2\xea\xe0 "
        b"\xee \xed\xe5\xf1\xf3\xe4\xe8\xec\xee\xf1\xf2\xe8\nDate: Mon, 12 Feb 2024 10:15:00"
        b" +0500\n\nbody\n"
    )
    parsed = parse_message(raw)
    assert parsed.subject == "Справка о несудимости"
    assert parsed.from_name == "Иван"


def test_a_whole_encoded_from_header_still_gives_the_address() -> None:
    encoded = Header("Иван Петров <ivan@example.kz>", "utf-8").encode()
    parsed = parse_message(_raw(f"From: {encoded}\nSubject: x\n", b"x\n"))
    assert parsed.from_address == "ivan@example.kz"
    assert "missing_from" not in parsed.defects


def test_a_name_with_a_comma_in_it_is_one_address() -> None:
    name = Header("Иванов, Иван", "utf-8").encode()
    raw = _raw(f'From: "{name}" <ivan@example.kz>\nCc: a@x.kz, b@y.kz\nSubject: x\n', b"x\n")
    parsed = parse_message(raw)
    assert parsed.from_address == "ivan@example.kz"
    assert parsed.from_name == "Иванов, Иван"
    assert parsed.cc == ["a@x.kz", "b@y.kz"]


def test_threading_headers() -> None:
    raw = _raw(
        HEADERS + "Subject: Re: x\nMessage-ID:   <reply@example.kz> (comment)\n"
        "In-Reply-To: <ack-1@1414.kz>\nReferences: <first@example.kz>\n <ack-1@1414.kz>\n",
        b"ok\n",
    )
    parsed = parse_message(raw)
    assert parsed.message_id == "<reply@example.kz>"
    assert parsed.in_reply_to == "<ack-1@1414.kz>"
    assert parsed.references == ["<first@example.kz>", "<ack-1@1414.kz>"]
    assert quick_message_id(raw) == "<reply@example.kz>"


def test_missing_headers_are_survived_and_flagged() -> None:
    parsed = parse_message(b"\nJust a body, no headers at all.\n")
    assert parsed.text == "Just a body, no headers at all."
    assert parsed.from_address == ""
    assert {"missing_from", "missing_date", "missing_message_id"} <= set(parsed.defects)
    assert parsed.malformed


@pytest.mark.parametrize(
    "value",
    ["yesterday", "Mon, 32 Foo 2024 25:61:00", "Sat, 01 Jan 1900 00:00:00 +0000", "0"],
)
def test_invalid_dates_are_flagged_not_raised(value: str) -> None:
    parsed = parse_message(_raw(f"From: a@b.kz\nDate: {value}\n", b"x\n"))
    assert parsed.date is None
    assert "invalid_date" in parsed.defects


def test_a_date_without_zone_is_taken_as_utc() -> None:
    parsed = parse_message(_raw("From: a@b.kz\nDate: 12 Feb 2024 10:15:00\n", b"x\n"))
    assert parsed.date == dt.datetime(2024, 2, 12, 10, 15, tzinfo=dt.UTC)


# --- MIME structure ----------------------------------------------------------------------------
def test_multipart_alternative_prefers_plain_text() -> None:
    message = MIMEMultipart("alternative")
    message["From"] = "a@b.kz"
    message.attach(MIMEText("Plain version", "plain", "utf-8"))
    message.attach(MIMEText("<p>HTML <b>version</b></p>", "html", "utf-8"))
    parsed = parse_message(message.as_bytes())
    assert parsed.text == "Plain version"
    assert parsed.text_source == "plain"
    assert parsed.attachments == []


def test_an_empty_plain_alternative_falls_back_to_html() -> None:
    message = MIMEMultipart("alternative")
    message["From"] = "a@b.kz"
    message.attach(MIMEText("", "plain", "utf-8"))
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Сәлеметсіз бе!</p><p>Маған&nbsp;анықтама керек&hellip;</p><ul><li>бір</li>"
        "<li>екі</li></ul></body></html>"
    )
    message.attach(MIMEText(html, "html", "utf-8"))
    parsed = parse_message(message.as_bytes())
    assert parsed.text_source == "html"
    assert "Сәлеметсіз бе!\n" in parsed.text
    assert "Маған анықтама керек…" in parsed.text
    assert "• бір" in parsed.text
    assert "alert" not in parsed.text
    assert "color" not in parsed.text
    assert parsed.language == "kk"


def test_html_only_in_cp1251_without_a_charset_parameter_uses_the_meta_tag() -> None:
    body = '<html><head><meta charset="windows-1251"></head><body>Справка</body></html>'
    headers = HEADERS + "Subject: x\nContent-Type: text/html\n"
    parsed = parse_message(_raw(headers, body.encode("cp1251")))
    assert parsed.text == "Справка"


def test_nested_multiparts_with_inline_images_and_attachments() -> None:
    related = MIMEMultipart("related")
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("Текст письма", "plain", "koi8-r"))
    alternative.attach(MIMEText('<p>Текст</p><img src="cid:logo">', "html", "utf-8"))
    related.attach(alternative)
    image = MIMEBase("image", "png")
    image.set_payload(b"\x89PNG fake")
    image.add_header("Content-ID", "<logo>")
    image.add_header("Content-Disposition", "inline")
    from email import encoders

    encoders.encode_base64(image)
    related.attach(image)
    outer = MIMEMultipart("mixed")
    outer["From"] = "a@b.kz"
    outer.attach(related)
    pdf = MIMEApplication(b"%PDF-1.4 fake", "pdf")
    pdf.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "Өтініш №5.pdf"))
    outer.attach(pdf)
    parsed = parse_message(outer.as_bytes())
    assert parsed.text == "Текст письма"
    assert [a.filename for a in parsed.attachments] == ["attachment-1.png", "Өтініш №5.pdf"]
    logo, document = parsed.attachments
    assert logo.content_id == "logo"
    assert logo.inline
    assert document.content_type == "application/pdf"
    assert document.data == b"%PDF-1.4 fake"
    assert document.size == len(b"%PDF-1.4 fake")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Content-Disposition: attachment; filename*=UTF-8''%D0%B6%D0%B0%D1%83%D0%B0%D0%BF.docx",
         "жауап.docx"),
        ('Content-Disposition: attachment; filename="=?utf-8?B?0LbQsNGD0LDQvy5kb2N4?="',
         "жауап.docx"),
        ("Content-Disposition: attachment;\n filename*0*=UTF-8''%D0%B6%D0%B0;\n"
         " filename*1*=%D1%83%D0%B0%D0%BF.docx", "жауап.docx"),
        ('Content-Disposition: attachment; filename="../../etc/passwd"', "_.._etc_passwd"),
    ],
)  # fmt: skip
def test_attachment_names_rfc2231_rfc2047_and_paths(header: str, expected: str) -> None:
    raw = _raw(
        HEADERS + 'Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n',
        (
            "--b\nContent-Type: text/plain\n\nsee attached\n--b\n"
            f"Content-Type: application/octet-stream\n{header}\n"
            "Content-Transfer-Encoding: base64\n\nAAEC\n--b--\n"
        ).encode(),
    )
    parsed = parse_message(raw)
    assert [a.filename for a in parsed.attachments] == [expected]
    assert parsed.attachments[0].data == b"\x00\x01\x02"


def test_a_forwarded_message_keeps_its_text_and_attachments() -> None:
    inner = MIMEMultipart("mixed")
    inner["From"] = "Бастапқы <first@example.kz>"
    inner["Subject"] = "Бастапқы хат"
    inner["Message-ID"] = "<inner@example.kz>"
    inner.attach(MIMEText("Ішкі мәтін", "plain", "utf-8"))
    inner.attach(MIMEApplication(b"data", "octet-stream", Name="scan.jpg"))
    outer = MIMEMultipart("mixed")
    outer["From"] = "a@b.kz"
    outer["Subject"] = "Fwd: Бастапқы хат"
    outer.attach(MIMEText("Қараңызшы", "plain", "utf-8"))
    forwarded = MIMEMessage(inner)
    forwarded.add_header("Content-Disposition", "attachment")
    outer.attach(forwarded)
    parsed = parse_message(outer.as_bytes())
    assert parsed.text.startswith("Қараңызшы")
    assert "Forwarded message" in parsed.text
    assert "Subject: Бастапқы хат" in parsed.text
    assert "Ішкі мәтін" in parsed.text
    names = [a.filename for a in parsed.attachments]
    assert "scan.jpg" in names
    assert any(a.content_type == "message/rfc822" for a in parsed.attachments)


@pytest.mark.parametrize(
    "raw",
    [
        # a boundary that never appears
        _raw(
            HEADERS + 'Content-Type: multipart/mixed; boundary="nope"\n',
            b"--other\nContent-Type: text/plain\n\nhello\n--other--\n",
        ),
        # multipart without a boundary parameter
        _raw(HEADERS + "Content-Type: multipart/mixed\n", b"hello\n"),
        # an unterminated last part
        _raw(
            HEADERS + 'Content-Type: multipart/mixed; boundary="b"\n',
            b"--b\nContent-Type: text/plain\n\nhello\n",
        ),
        # broken base64 and a header line without a colon
        _raw(
            HEADERS + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64"
            "\nthis is not a header\n",
            b"aGVsbG8=!!!@@@\n",
        ),
        # garbage
        bytes(range(256)) * 8,
        b"",
    ],
)
def test_malformed_mime_never_raises_and_is_flagged(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert isinstance(parsed.text, str)
    if raw and b"hello" in raw:
        assert "hello" in parsed.text or parsed.text
    assert parsed.malformed or not raw


def test_nul_bytes_are_removed_and_flagged() -> None:
    raw = _raw(HEADERS + "Subject: a\x00b\n", b"Hello\x00 world\n")
    parsed = parse_message(raw)
    assert parsed.subject == "ab"
    assert parsed.text == "Hello world"
    assert "nul_bytes" in parsed.defects
    assert parsed.malformed


def test_deeply_nested_multiparts_are_cut_off_not_crashing() -> None:
    part: MIMEMultipart | MIMEText = MIMEText("deep", "plain", "utf-8")
    for _depth in range(parsing.MAX_DEPTH + 10):
        outer = MIMEMultipart("mixed")
        outer.attach(part)
        part = outer
    part["From"] = "a@b.kz"
    parsed = parse_message(part.as_bytes())
    assert "too_deeply_nested" in parsed.defects
    assert parsed.malformed


def test_a_20_megabyte_message_is_read_and_flagged_oversized() -> None:
    message = EmailMessage()
    message["From"] = "a@b.kz"
    message["Subject"] = "big"
    message.set_content("Тексеріңізші, скан қоса беріліп отыр.")
    message.add_attachment(b"\xff" * (20 * 1024 * 1024), "application", "octet-stream",
                           filename="scan.tiff")  # fmt: skip
    raw = message.as_bytes()
    assert len(raw) > 20 * 1024 * 1024
    parsed = parse_message(raw)
    assert parsed.oversized
    assert parsed.attachments[0].size == 20 * 1024 * 1024
    assert parsed.text == "Тексеріңізші, скан қоса беріліп отыр."


def test_a_long_text_is_truncated_and_flagged() -> None:
    parsed = parse_message(
        _raw(HEADERS + "Subject: long\n", ("а" * 5000).encode()), max_text_chars=1000
    )
    assert len(parsed.text) == 1000
    assert parsed.truncated


def test_an_unexpected_parser_error_keeps_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(parsing, "_walk", broken)
    parsed = parse_message(_raw(HEADERS + "Subject: x\n", RUSSIAN.encode("cp1251")))
    assert "parser_error" in parsed.defects
    assert parsed.text == RUSSIAN


def test_content_hash_ignores_line_ending_style() -> None:
    lf = b"From: a@b.kz\nSubject: x\n\nbody\n"
    assert content_sha256(lf) == content_sha256(lf.replace(b"\n", b"\r\n"))
    assert content_sha256(lf) != content_sha256(lf.replace(b"body", b"bodY"))


def test_html_to_text_survives_broken_markup() -> None:
    assert html_to_text("<p>one<p>two</div></span><br>three &amp; four") == (
        "one\ntwo\n\nthree & four"
    )
    assert html_to_text("<table><tr><td>a</td><td>b</td></tr></table>") == "a b"


# --- language ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        KAZAKH,
        "Сәлеметсіз бе, жеке куәлігімді жоғалтып алдым, жаңасын қалай алуға болады?",
        "Зейнетақы төлемдері туралы ақпарат беріңізші.",
        "Баламның туу туралы куәлігін ХҚКО арқылы алуға бола ма?",
        # Kazakh typed with a Latin "i" for "і"
        "Салеметсiз бе, маган анықтама керек едi, калай алуга болады",
        # Kazakh typed on a Russian keyboard without the Kazakh letters
        "Салеметсиз бе, маган жеке куалик алу керек, калай алуга болады",
    ],
)
def test_kazakh_text_is_recognised(text: str) -> None:
    assert detect_language(text, default="ru") == "kk"


@pytest.mark.parametrize(
    "text",
    [
        RUSSIAN,
        "Добрый день! Как получить адресную справку через ЦОН?",
        "Прошу разъяснить порядок назначения пособия по уходу за ребёнком.",
        # a Russian letter signed with a Kazakh name
        "Здравствуйте, не могу войти в личный кабинет на портале, пишет ошибку ЭЦП. Нұрлан",
    ],
)
def test_russian_text_is_recognised(text: str) -> None:
    assert detect_language(text, default="kk") == "ru"


def test_text_without_cyrillic_gets_the_mailbox_default() -> None:
    assert detect_language("Hello, I need a certificate.", default="kk") == "kk"
    assert detect_language("", default="ru") == "ru"


def test_quoted_text_does_not_decide_the_language() -> None:
    text = (
        "Спасибо, но мне нужна справка на русском языке.\n\n"
        "> Сәлеметсіз бе! Сіздің өтінішіңіз тіркелді, нөмірі 123. Жауап екі жұмыс күні ішінде\n"
        "> беріледі. Қосымша сұрақтарыңыз болса, 1414 нөміріне хабарласыңыз.\n"
    )
    assert detect_language(own_words(text), default="kk") == "ru"


# --- classification (RFC 3834) -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra_headers", "expected"),
    [
        ("", "normal"),
        ("Auto-Submitted: no\n", "normal"),
        ("Auto-Submitted: auto-replied\n", "auto_reply"),
        ("Auto-Submitted: auto-generated; owner-email=x@y.kz\n", "auto_reply"),
        ("X-Autoreply: yes\n", "auto_reply"),
        ("X-Autorespond: Out of office\n", "auto_reply"),
        ("Precedence: auto_reply\n", "auto_reply"),
        ("Precedence: bulk\n", "list"),
        ("Precedence: junk\n", "list"),
        ("Precedence: list\n", "list"),
        ("List-Id: <news.gov.kz>\n", "list"),
        ("List-Unsubscribe: <mailto:unsub@news.kz>\n", "list"),
        ("Return-Path: <>\n", "bounce"),
        ("X-Loop: info@1414.kz\n", "own"),
    ],
)
def test_rfc3834_classification(extra_headers: str, expected: str) -> None:
    raw = _raw(HEADERS + extra_headers + "Subject: x\n", b"x\n")
    assert parse_message(raw, own_addresses=["info@1414.kz"]).classification == expected


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.kz", "postmaster@example.kz"])
def test_mailer_daemon_and_postmaster_are_bounces(sender: str) -> None:
    raw = _raw(f"From: {sender}\nSubject: Undelivered Mail\n", b"x\n")
    assert parse_message(raw).classification == "bounce"


def test_our_own_address_is_own_mail() -> None:
    raw = _raw("From: Qoldau <INFO@1414.kz>\nSubject: x\n", b"x\n")
    assert parse_message(raw, own_addresses=["info@1414.kz"]).classification == "own"


def test_a_delivery_status_report_names_the_bounced_message() -> None:
    raw = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.kz>\n"
        b"To: noreply@1414.kz\nSubject: Undelivered Mail Returned to Sender\n"
        b"Date: Mon, 12 Feb 2024 10:15:00 +0500\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\n\n'
        b"--r\nContent-Type: text/plain\n\nThis is the mail system. I'm sorry to have to "
        b"inform you that your message could not be delivered.\n"
        b"--r\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.kz\n\n"
        b"Final-Recipient: rfc822; x@y.kz\nAction: failed\nStatus: 5.1.1\n"
        b"--r\nContent-Type: text/rfc822-headers\n\nFrom: noreply@1414.kz\n"
        b"Message-ID: <ack-7@1414.kz>\nSubject: ack\n--r--\n"
    )
    parsed = parse_message(raw)
    assert parsed.classification == "bounce"
    assert parsed.bounced_message_id == "<ack-7@1414.kz>"
    assert "Status: 5.1.1" in parsed.text
    assert "could not be delivered" in parsed.text
