"""Writes for people, roles and API keys; each use case is one audited transaction."""

from __future__ import annotations

import copy
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.enums import Role
from qoldau.accounts.models import ApiKey, RoleAssignment, User
from qoldau.audit.services import audit_record
from qoldau.core import clock
from qoldau.core.errors import FieldError, NotFound

API_KEY_PREFIX = "qk_"


def _hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def _check_roles(roles: Iterable[str], field: str = "roles") -> list[str]:
    cleaned = sorted(set(roles))
    unknown = [r for r in cleaned if r not in Role.values]
    if unknown:
        raise FieldError(field, "unknown_role", _("Unknown role: %(role)s"), role=unknown[0])
    return cleaned


def user_create(
    *,
    username: str,
    password: str,
    organisation_id: int | None,
    roles: Iterable[str],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    language: str = "kk",
    actor: Any = None,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    cleaned_roles = _check_roles(roles)
    with transaction.atomic():
        user = User(
            username=username,
            organisation_id=organisation_id,
            first_name=first_name,
            last_name=last_name,
            email=email,
            language=language,
            is_staff=is_staff,
            is_superuser=is_superuser,
        )
        user.set_password(password)
        user.save()
        RoleAssignment.objects.bulk_create(RoleAssignment(user=user, role=r) for r in cleaned_roles)
        audit_record(
            actor=actor,
            action="accounts.user_created",
            target=user,
            changes={"roles": cleaned_roles, "organisation_id": organisation_id},
        )
    return user


def user_set_roles(*, user: User, roles: Iterable[str], actor: Any) -> None:
    cleaned = _check_roles(roles)
    with transaction.atomic():
        before = sorted(user.role_assignments.values_list("role", flat=True))
        user.role_assignments.exclude(role__in=cleaned).delete()
        RoleAssignment.objects.bulk_create(
            (RoleAssignment(user=user, role=r) for r in cleaned if r not in before),
        )
        user.forget_cached_roles()
        audit_record(
            actor=actor,
            action="accounts.roles_changed",
            target=user,
            changes={"roles": [before, cleaned]},
        )


def user_set_language(*, user: User, language: str) -> None:
    if language not in {"kk", "ru", "en"}:
        raise FieldError("language", "unknown_language", _("Choose Kazakh, Russian or English."))
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def api_key_issue(
    *, organisation_id: int, name: str, roles: Iterable[str], actor: Any
) -> tuple[ApiKey, str]:
    """Create a key; the raw key is returned once and never stored."""
    if not name.strip():
        raise FieldError("name", "required", _("Give the key a name."))
    cleaned_roles = _check_roles(roles)
    prefix = secrets.token_hex(4)
    raw_key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            organisation_id=organisation_id,
            name=name.strip(),
            prefix=prefix,
            key_hash=_hash_key(raw_key),
            roles=cleaned_roles,
            created_by=actor if isinstance(actor, User) else None,
        )
        audit_record(
            actor=actor,
            action="accounts.api_key_issued",
            target=key,
            changes={"organisation_id": organisation_id, "roles": cleaned_roles},
        )
    return key, raw_key


def api_key_revoke(*, key_id: int, actor: Any) -> ApiKey:
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().filter(pk=key_id).first()
        if key is None:
            raise NotFound("not_found", _("No such API key."))
        if key.revoked_at is None:
            key.revoked_at = clock.now()
            key.save(update_fields=["revoked_at"])
            audit_record(actor=actor, action="accounts.api_key_revoked", target=key)
    api_key_cache_clear()
    transaction.on_commit(api_key_cache_clear)  # also drop what was cached before the commit
    return key


# A busy integration sends hundreds of requests a second with the same key: the key found for a
# raw key is kept in this process for a few seconds (ACCOUNTS_API_KEY_CACHE_SECONDS, default 5,
# 0 turns it off). Entries are indexed by the SHA-256 of the raw key, never the key itself, and
# only successful look-ups are kept. When an entry expires, one thread looks the key up again
# while the others go on with the entry for at most as long again (without this, every thread
# of a busy process missed at once and opened a database connection of its own: a stall of a
# second and more). A revocation takes effect at once in the process that made it and within
# twice that many seconds in every other one.
_key_cache: dict[str, tuple[float, ApiKey]] = {}
_key_cache_lock = threading.Lock()
_key_refresh_lock = threading.Lock()
_KEY_CACHE_MAX = 1000


def _key_cache_seconds() -> float:
    return float(getattr(settings, "ACCOUNTS_API_KEY_CACHE_SECONDS", 5))


def api_key_cache_clear() -> None:
    """Forget every cached key of this process (after a revocation; between tests)."""
    with _key_cache_lock:
        _key_cache.clear()


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The active key for ``raw_key``, compared in constant time, or None."""
    if not raw_key.startswith(API_KEY_PREFIX) or len(raw_key) > 200:
        return None
    digest = _hash_key(raw_key)
    ttl = _key_cache_seconds()
    if ttl > 0:
        cached = _key_cache.get(digest)
        if cached is not None:
            expires, found = cached
            now = time.monotonic()
            if now < expires or (now < expires + ttl and not _key_refresh_lock.acquire(False)):
                _touch(found)
                return _clone(found)  # callers may change their instance; the cache's stays
            if now < expires + ttl:  # this thread holds the refresh lock: look it up again
                try:
                    return _key_lookup_and_keep(raw_key, digest, ttl)
                finally:
                    _key_refresh_lock.release()
    return _key_lookup_and_keep(raw_key, digest, ttl)


def _key_lookup_and_keep(raw_key: str, digest: str, ttl: float) -> ApiKey | None:
    key = _api_key_lookup(raw_key, digest)
    if key is not None and ttl > 0:
        with _key_cache_lock:
            if len(_key_cache) >= _KEY_CACHE_MAX:
                _key_cache.clear()
            _key_cache[digest] = (time.monotonic() + ttl, _clone(key))
    elif key is None:
        with _key_cache_lock:
            _key_cache.pop(digest, None)  # revoked meanwhile: no grace for it any more
    return key


def _clone(key: ApiKey) -> ApiKey:
    """A shallow copy of ``key`` with its own state, as ``copy.copy`` makes one through the
    model's pickling hooks (``Model.__getstate__``) but without the pickling round trip, which
    cost the API intake more than the key check itself."""
    clone = ApiKey.__new__(ApiKey)
    state = key.__dict__.copy()
    state["_state"] = copy.copy(key._state)
    state["_state"].fields_cache = key._state.fields_cache.copy()
    clone.__dict__.update(state)
    return clone


def _api_key_lookup(raw_key: str, digest: str) -> ApiKey | None:
    prefix = raw_key[len(API_KEY_PREFIX) :].split("_", 1)[0]
    key = (
        ApiKey.objects.select_related("organisation")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.key_hash, digest):
        return None
    _touch(key)
    return key


def _touch(key: ApiKey) -> None:
    """Touch at most once a minute: no write per request on a busy integration."""
    now = clock.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
