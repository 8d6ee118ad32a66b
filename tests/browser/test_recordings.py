"""Recordings in a real browser (R17, Rules p.14): a quality officer files a written request,
a supervisor listens to the calls found and delivers them, the officer downloads the ZIP and
checks each file's SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from qoldau.accounts.enums import Role
from qoldau.accounts.services import user_create
from qoldau.appeals.tests.reference import ensure_reference_data
from qoldau.core import clock
from qoldau.recordings.models import RecordingRequest
from qoldau.recordings.services import recording_fetch
from qoldau.recordings.wav import synthetic_pdf, synthetic_wav
from qoldau.registry.enums import OrganisationKind
from qoldau.registry.tests.factories import OrganisationFactory
from qoldau.routing.services import queue_plans_forget
from qoldau.telephony.ports import CallEvent, CallEventKind
from qoldau.telephony.services import call_event_ingest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-1414"
Screenshot = Callable[[Page, str], Path]


@pytest.fixture
def recordings_env(settings: Any, tmp_path: Path) -> Iterator[Path]:
    from huey.contrib.djhuey import HUEY

    settings.RECORDINGS_STORAGE_ROOT = str(tmp_path / "store")
    settings.RECORDINGS_PBX_LOCAL_ROOTS = [str(tmp_path / "pbx")]
    (tmp_path / "pbx").mkdir()
    before = HUEY.immediate
    HUEY.immediate = True
    # The router caches its queue plans per process: a queue of an earlier test in this worker
    # (rolled back since) must not be offered to this test's calls.
    queue_plans_forget()
    yield tmp_path / "pbx"
    HUEY.immediate = before


def _call(pbx: Path, call_id: str, at: dt.datetime, seconds: float) -> None:
    path = pbx / f"{call_id}.wav"
    path.write_bytes(synthetic_wav(seconds))
    for event in (
        CallEvent(call_id, 1, CallEventKind.ARRIVED, at, line="1414", caller="+77012345678"),
        CallEvent(call_id, 2, CallEventKind.ENDED, at + dt.timedelta(seconds=seconds)),
        CallEvent(
            call_id,
            3,
            CallEventKind.RECORDING,
            at + dt.timedelta(seconds=seconds + 5),
            recording_uri=path.as_uri(),
            recording_seconds=int(seconds),
        ),
    ):
        call_event_ingest(event)
    recording_fetch(call_id=call_id)


def _sign_in(page: Page, live_server: LiveServer, language: str, username: str) -> None:
    page.goto(f"{live_server.url}/{language}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/{language}/home/")


def test_an_officer_requests_a_supervisor_delivers_the_officer_downloads(
    page: Page,
    browser: Browser,
    live_server: LiveServer,
    screenshot: Screenshot,
    recordings_env: Path,
    tmp_path: Path,
) -> None:
    ensure_reference_data()
    body = OrganisationFactory.create(kind=OrganisationKind.QUALITY_BODY)
    user_create(
        username="quality-officer",
        password=PASSWORD,
        organisation_id=body.pk,
        roles=[Role.QUALITY_OFFICER],
        first_name="Сәуле",
        last_name="Қасымова",
        language="kk",
    )
    user_create(
        username="quality-supervisor",
        password=PASSWORD,
        organisation_id=None,
        roles=[Role.SUPERVISOR],
        first_name="Ерлан",
        last_name="Жақыпов",
        language="ru",
    )
    yesterday = clock.start_of_local_day(clock.today() - dt.timedelta(days=1))
    _call(recordings_env, "b-1", yesterday + dt.timedelta(hours=10), 2.0)
    _call(recordings_env, "b-2", yesterday + dt.timedelta(hours=15), 1.0)

    # The officer files the request in Kazakh; without the document nothing is registered.
    _sign_in(page, live_server, "kk", "quality-officer")
    page.get_by_role("link", name="Жазбаларға сұрау салулар").first.click()
    page.locator("#new-request").click()
    page.locator("#id_phone").fill("8 701 234 56 78")
    page.locator("#file-request").click()
    expect(page.locator("#id_document-error")).to_contain_text("Жазбаша сұрау салуды қоса тіркеңіз")
    expect(page.locator("#id_call_date-error")).to_contain_text("Қоңыраудың күнін көрсетіңіз.")
    assert RecordingRequest.objects.count() == 0
    screenshot(page, "recording-request-errors-kk")
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(synthetic_pdf("Request 14-01/77"))
    page.locator("#id_document").set_input_files(str(letter))
    page.locator("#id_call_date").fill(f"{clock.today() - dt.timedelta(days=1):%Y-%m-%d}")
    page.locator("#id_phone").fill("8 701 234 56 78")
    page.locator("#id_reference").fill("14-01/77")
    page.locator("#file-request").click()
    page.wait_for_url(re.compile(r"/kk/recordings/requests/\d+/$"), timeout=30_000)
    expect(page.locator("#request-status")).to_have_text("Тіркелді")
    expect(page.locator("#request-clock")).to_contain_text("қалды")
    screenshot(page, "recording-request-filed-kk")
    request = RecordingRequest.objects.get()

    # The supervisor sees it in the queue in Russian, listens and delivers.
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU")
    context.set_default_timeout(20_000)
    staff = context.new_page()
    _sign_in(staff, live_server, "ru", "quality-supervisor")
    staff.goto(f"{live_server.url}/ru/recordings/queue/")
    expect(staff.locator("#open-requests")).to_contain_text("осталось")
    screenshot(staff, "recording-queue-ru")
    staff.locator("#open-requests a").first.click()
    expect(staff.locator("#found-calls audio")).to_have_count(2)
    # Listen through the Range view, one request after another (the live server shares one
    # SQLite connection between its threads, so the test avoids parallel requests).
    src = staff.locator("#found-calls audio").first.get_attribute("src")
    heard = staff.evaluate(
        """async (url) => {
            const head = await fetch(url, {headers: {Range: 'bytes=0-43'}});
            const bytes = new Uint8Array(await head.arrayBuffer());
            const riff = String.fromCharCode(...bytes.slice(0, 4));
            const tail = await fetch(url, {headers: {Range: 'bytes=-100'}});
            return [head.status, head.headers.get('Content-Range'), riff, tail.status,
                    (await tail.arrayBuffer()).byteLength,
                    document.querySelector('#found-calls audio').canPlayType('audio/wav')];
        }""",
        src,
    )
    assert heard[0] == 206
    assert heard[1].startswith("bytes 0-43/")
    assert heard[2] == "RIFF"
    assert heard[3:5] == [206, 100]
    assert heard[5] in ("maybe", "probably")  # the browser plays WAV in its <audio> element
    screenshot(staff, "recording-request-supervisor-ru")
    staff.locator("#deliver").click()
    expect(staff.locator("#request-status")).to_have_text("Предоставлен")
    expect(staff.locator("#delivered-files")).to_contain_text("SHA-256")
    # The call's own page has the player too.
    staff.locator("#found-calls a").first.click()
    expect(staff.locator("#player")).to_be_visible()
    screenshot(staff, "recording-call-ru")
    context.close()

    # The officer downloads the ZIP and checks every file against the SHA-256 listed.
    page.reload()
    expect(page.locator("#request-status")).to_have_text("Берілді")
    listed = {
        cell.strip() for cell in page.locator("#delivered-files td.rec-sha").all_inner_texts()
    }
    assert len(listed) == 2
    screenshot(page, "recording-request-delivered-kk")
    with page.expect_download() as download_info:
        page.locator("#download-zip").click()
    archive = tmp_path / "recordings.zip"
    download_info.value.save_as(str(archive))
    with zipfile.ZipFile(archive) as zipped:
        names = [n for n in zipped.namelist() if n != "SHA256SUMS"]
        assert {hashlib.sha256(zipped.read(n)).hexdigest() for n in names} == listed
    request.refresh_from_db()
    assert request.status == "delivered"
