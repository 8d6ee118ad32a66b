from __future__ import annotations

import time
from typing import Any

import pytest
import time_machine

from qoldau.accounts.enums import Role
from qoldau.accounts.models import ApiKey
from qoldau.accounts.services import (
    api_key_authenticate,
    api_key_cache_clear,
    api_key_issue,
    api_key_revoke,
)
from qoldau.audit.models import AuditEvent
from qoldau.core.errors import FieldError
from qoldau.registry.enums import OrganisationKind
from qoldau.registry.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation() -> Organisation:
    return Organisation.objects.create(
        kind=OrganisationKind.CENTRAL_STATE_BODY, name_kk="Әділет министрлігі", name_ru="Минюст"
    )


def test_key_is_stored_hashed_and_authenticates(organisation: Organisation) -> None:
    key, raw = api_key_issue(
        organisation_id=organisation.pk, name="CRM", roles=[Role.RESPONSIBLE_PERSON], actor=None
    )
    stored = ApiKey.objects.get(pk=key.pk)
    assert raw.startswith("qk_")
    assert raw not in stored.key_hash
    assert len(stored.key_hash) == 64
    found = api_key_authenticate(raw)
    assert found is not None
    assert found.pk == key.pk
    assert found.has_role(Role.RESPONSIBLE_PERSON)
    assert found.organisation_id == organisation.pk
    assert AuditEvent.objects.filter(
        action="accounts.api_key_issued", target_id=str(key.pk)
    ).exists()


def test_wrong_secret_with_right_prefix_is_refused(organisation: Organisation) -> None:
    _key, raw = api_key_issue(organisation_id=organisation.pk, name="CRM", roles=[], actor=None)
    forged = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    assert api_key_authenticate(forged) is None
    assert api_key_authenticate("not-a-key") is None
    assert api_key_authenticate("qk_" + "x" * 300) is None


def test_revoked_key_stops_working(organisation: Organisation) -> None:
    key, raw = api_key_issue(organisation_id=organisation.pk, name="CRM", roles=[], actor=None)
    api_key_revoke(key_id=key.pk, actor=None)
    assert api_key_authenticate(raw) is None
    assert AuditEvent.objects.filter(action="accounts.api_key_revoked").count() == 1
    api_key_revoke(key_id=key.pk, actor=None)  # revoking twice records nothing new
    assert AuditEvent.objects.filter(action="accounts.api_key_revoked").count() == 1


def test_last_used_is_touched_at_most_once_a_minute(organisation: Organisation) -> None:
    _key, raw = api_key_issue(organisation_id=organisation.pk, name="CRM", roles=[], actor=None)
    with time_machine.travel("2026-01-10 10:00:00+00:00", tick=False):
        first = api_key_authenticate(raw)
        assert first is not None
    with time_machine.travel("2026-01-10 10:00:30+00:00", tick=False):
        api_key_authenticate(raw)
        assert ApiKey.objects.get(pk=first.pk).last_used_at == first.last_used_at
    with time_machine.travel("2026-01-10 10:02:00+00:00", tick=False):
        api_key_authenticate(raw)
        assert ApiKey.objects.get(pk=first.pk).last_used_at != first.last_used_at


def test_key_needs_a_name_and_known_roles(organisation: Organisation) -> None:
    with pytest.raises(FieldError) as caught:
        api_key_issue(organisation_id=organisation.pk, name="  ", roles=[], actor=None)
    assert caught.value.field == "name"
    with pytest.raises(FieldError) as caught:
        api_key_issue(organisation_id=organisation.pk, name="x", roles=["wizard"], actor=None)
    assert caught.value.field == "roles"
    assert ApiKey.objects.count() == 0


def test_a_revocation_elsewhere_takes_effect_when_the_short_cache_expires(
    organisation: Organisation, settings: Any
) -> None:
    """Another process revokes (a direct UPDATE here): this process may still accept the key
    for ACCOUNTS_API_KEY_CACHE_SECONDS, never longer; without the cache, at once."""
    key, raw = api_key_issue(organisation_id=organisation.pk, name="CRM", roles=[], actor=None)
    assert api_key_authenticate(raw) is not None
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=key.created_at)
    assert api_key_authenticate(raw) is not None  # still cached (5 s by default)
    api_key_cache_clear()  # what the expiry does
    assert api_key_authenticate(raw) is None
    settings.ACCOUNTS_API_KEY_CACHE_SECONDS = 0
    other, other_raw = api_key_issue(
        organisation_id=organisation.pk, name="B", roles=[], actor=None
    )
    assert api_key_authenticate(other_raw) is not None
    ApiKey.objects.filter(pk=other.pk).update(revoked_at=other.created_at)
    assert api_key_authenticate(other_raw) is None


def test_the_cache_keeps_no_raw_key_and_no_failed_lookup(organisation: Organisation) -> None:
    from qoldau.accounts import services

    _key, raw = api_key_issue(organisation_id=organisation.pk, name="CRM", roles=[], actor=None)
    assert api_key_authenticate(raw + "x") is None
    assert services._key_cache == {}
    assert api_key_authenticate(raw) is not None
    assert raw not in repr(services._key_cache)
    assert list(services._key_cache) == [services._hash_key(raw)]


def test_an_expired_entry_is_looked_up_again_by_one_thread_while_the_others_go_on(
    organisation: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past its expiry, one caller looks the key up again; a caller meanwhile (the refresh
    lock is taken) gets the entry for at most one more period; after the refresh, a key revoked
    elsewhere is refused, and the grace never outlasts twice the period."""
    from qoldau.accounts import services

    key, raw = api_key_issue(organisation_id=organisation.pk, name="CRM", roles=[], actor=None)
    moment = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: moment[0])
    assert api_key_authenticate(raw) is not None
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=key.created_at)  # another process
    moment[0] += 6  # past the 5 s of the entry, inside its grace
    with services._key_refresh_lock:  # another thread is looking it up right now
        assert api_key_authenticate(raw) is not None
    assert api_key_authenticate(raw) is None  # this caller refreshes: revoked
    assert services._key_cache == {}
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=None)
    assert api_key_authenticate(raw) is not None
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=key.created_at)
    moment[0] += 11  # past the grace too: looked up whoever refreshes
    with services._key_refresh_lock:
        assert api_key_authenticate(raw) is None
