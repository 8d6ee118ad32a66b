"""The demo loader: three calls with generated WAV recordings in the store and one request."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import pytest

from qoldau.recordings.demo import recordings_load_demo
from qoldau.recordings.models import Recording, RecordingRequest

pytestmark = pytest.mark.django_db


def test_the_demo_makes_recorded_calls_and_a_request_once(officer: Any, pbx: Path) -> None:
    assert recordings_load_demo() == 3
    assert Recording.objects.count() == 3
    request = RecordingRequest.objects.get()
    assert request.filed_by == officer
    assert request.matches.count() == 2  # the two calls from 8 701 234 56 78
    with wave.open(str(pbx / "demo-rec-1.wav")) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (1, 8000)
        assert wav.getnframes() == 3 * 8000
    assert recordings_load_demo() == 0
    assert (Recording.objects.count(), RecordingRequest.objects.count()) == (3, 1)
