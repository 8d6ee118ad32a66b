from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.enums import Role

if TYPE_CHECKING:
    from collections.abc import Iterable


class User(AbstractUser):
    """A person who signs in. Custom from the first migration so it can grow without pain."""

    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        help_text=_("The organisation whose data this person works with."),
    )
    position = models.CharField(_("position"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    language = models.CharField(
        _("interface language"),
        max_length=2,
        choices=[("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")],
        default="kk",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def role_codes(self) -> frozenset[str]:
        cached: frozenset[str] | None = getattr(self, "_role_codes", None)
        if cached is None:
            cached = frozenset(self.role_assignments.values_list("role", flat=True))
            self._role_codes = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_codes() & set(roles))

    def forget_cached_roles(self) -> None:
        self.__dict__.pop("_role_codes", None)


class RoleAssignment(models.Model):
    """One role held by one person; a person may hold several (a supervisor who edits articles)."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="accounts_role_once_per_user")
        ]

    def __str__(self) -> str:
        return str(self.get_role_display())


class ApiKey(models.Model):
    """A machine client's key: shown once, stored as a SHA-256 hash, scoped to one organisation."""

    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="api_keys",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    roles = models.JSONField(_("roles"), default=list, blank=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    # The same duck-typed interface as User, so access_* helpers serve both.
    is_authenticated = True
    is_superuser = False

    def role_codes(self) -> frozenset[str]:
        roles: Iterable[str] = self.roles or []
        return frozenset(roles)

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_codes() & set(roles))
