"""Fixtures of the recordings tests: a store and a PBX folder in tmp_path, the people of both
sides, and calls with short generated recordings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from qoldau.accounts.enums import Role
from qoldau.recordings.models import Recording
from qoldau.recordings.services import recording_fetch
from qoldau.recordings.wav import synthetic_wav
from qoldau.registry.enums import OrganisationKind
from qoldau.registry.tests.factories import OrganisationFactory, make_user
from qoldau.telephony.models import CallRecord
from qoldau.telephony.ports import CallEvent, CallEventKind
from qoldau.telephony.services import call_event_ingest

ALMATY = dt.timezone(dt.timedelta(hours=5))


@pytest.fixture(autouse=True)
def _huey_immediate() -> Iterator[None]:
    """Run tasks in the test's thread, whatever QOLDAU_ENV says (never into var/huey.sqlite3)."""
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = before


@pytest.fixture(autouse=True)
def _store(settings: Any, tmp_path: Path) -> Path:
    settings.RECORDINGS_STORAGE_ADAPTER = "qoldau.recordings.adapters.local.LocalRecordingStore"
    settings.RECORDINGS_STORAGE_ROOT = str(tmp_path / "store")
    (tmp_path / "pbx").mkdir()
    settings.RECORDINGS_PBX_LOCAL_ROOTS = [str(tmp_path / "pbx")]
    settings.RECORDINGS_DELIVERY_HOURS = 72
    return tmp_path


@pytest.fixture
def pbx(tmp_path: Path) -> Path:
    return tmp_path / "pbx"


@pytest.fixture
def quality_body(db: None) -> Any:
    return OrganisationFactory.create(kind=OrganisationKind.QUALITY_BODY, name_en="Quality body")


@pytest.fixture
def informatization_body(db: None) -> Any:
    return OrganisationFactory.create(
        kind=OrganisationKind.INFORMATIZATION_BODY, name_en="Informatization body"
    )


@pytest.fixture
def officer(quality_body: Any) -> Any:
    user = make_user(organisation=quality_body, roles=[Role.QUALITY_OFFICER])
    user.email = "officer@quality.kz"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def other_officer(informatization_body: Any) -> Any:
    return make_user(organisation=informatization_body, roles=[Role.INFORMATIZATION_OFFICER])


@pytest.fixture
def supervisor(db: None) -> Any:
    return make_user(organisation=None, roles=[Role.SUPERVISOR])


@pytest.fixture
def ucc_admin(db: None) -> Any:
    user = make_user(organisation=None, roles=[Role.UCC_ADMIN], language="kk")
    user.email = "admin@1414.kz"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def operator(db: None) -> Any:
    return make_user(organisation=None, roles=[Role.OPERATOR])


@pytest.fixture
def partner(db: None) -> Any:
    organisation = OrganisationFactory.create()
    return make_user(organisation=organisation, roles=[Role.RESPONSIBLE_PERSON])


@pytest.fixture
def citizen(db: None) -> Any:
    return make_user(organisation=None, roles=[Role.RECIPIENT])


MakeCall = Callable[..., CallRecord]


@pytest.fixture
def make_call(pbx: Path) -> MakeCall:
    """A call from the CTI events, with a WAV the PBX wrote (``wav=False``: none)."""

    def make(
        call_id: str, *, caller: str, at: dt.datetime, seconds: float = 1.0, wav: bool = True
    ) -> CallRecord:
        events = [
            CallEvent(call_id, 1, CallEventKind.ARRIVED, at, line="1414", caller=caller),
            CallEvent(call_id, 2, CallEventKind.ENDED, at + dt.timedelta(seconds=30)),
        ]
        if wav:
            path = pbx / f"{call_id}.wav"
            path.write_bytes(synthetic_wav(seconds))
            events.append(
                CallEvent(
                    call_id,
                    3,
                    CallEventKind.RECORDING,
                    at + dt.timedelta(seconds=40),
                    recording_uri=path.as_uri(),
                    recording_seconds=int(seconds),
                )
            )
        for event in events:
            call_event_ingest(event)
        return CallRecord.objects.get(call_id=call_id)

    return make


@pytest.fixture
def recorded(make_call: MakeCall) -> Callable[..., Recording]:
    """A call and its recording copied into the store."""

    def make(call_id: str, *, caller: str, at: dt.datetime, seconds: float = 1.0) -> Recording:
        make_call(call_id, caller=caller, at=at, seconds=seconds)
        recording = recording_fetch(call_id=call_id)
        assert recording is not None
        return recording

    return make
