"""Admin of the registry. Forms check input with the services' own cleaning (so the admin shows
the same field errors as the API), and saves go through the services, audited. The acceptance
state of a service is read-only here: it changes only through ``service_set_acceptance``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminURLFieldWidget
from django.db import models
from django.db.models import Model, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.access import access_can_manage_registry
from qoldau.core.errors import DomainError, ValidationFailed
from qoldau.registry import cleaning, services
from qoldau.registry import validators as v
from qoldau.registry.models import (
    ByLaw,
    ByLawAmendment,
    Organisation,
    OrganisationContact,
    PublicService,
    Region,
    ResponsiblePerson,
)

# Service field names that differ from the admin form's.
_FORM_FIELD = {
    "parent_id": "parent",
    "owner_id": "owner",
    "bylaw_id": "bylaw",
    "provider_ids": "providers",
    "service_ids": "services",
    "organisation_id": "organisation",
}


def https_urls(field: Any, **kwargs: Any) -> Any:
    """Form fields for model fields; web addresses typed without a scheme get https."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


def _service_value(value: Any) -> tuple[str, Any] | None:
    if isinstance(value, Region):
        return "kato", value.kato
    if isinstance(value, Model):
        return "pk", value.pk
    if isinstance(value, QuerySet):
        return "pks", sorted(item.pk for item in value)
    return None


def form_data(form: forms.ModelForm[Any], names: list[str]) -> dict[str, Any]:
    """The form's cleaned values keyed as the services expect them."""
    data: dict[str, Any] = {}
    reverse = {form_name: name for name, form_name in _FORM_FIELD.items()}
    for name in names:
        if name not in form.cleaned_data:
            continue
        value = form.cleaned_data[name]
        converted = _service_value(value)
        key = reverse.get(name, name)
        if name == "region":
            data["region"] = value.kato if value else None
        elif converted is not None:
            data[key] = converted[1]
        elif key.endswith("_id") or name in {"parent", "owner", "bylaw"}:
            data[key] = None
        else:
            data[key] = value
    return data


def add_errors(form: forms.BaseForm, exc: DomainError) -> None:
    errors: list[DomainError] = list(exc.errors) if isinstance(exc, ValidationFailed) else [exc]
    for error in errors:
        name = _FORM_FIELD.get(error.field or "", error.field or "")
        form.add_error(name if name in form.fields else None, str(error.message))


class ServiceCleanedForm(forms.ModelForm[Any]):
    """A model form whose ``clean`` runs the service's cleaning for the fields it has."""

    cleaner: ClassVar[Callable[..., dict[str, Any]] | None] = None
    actor: Any = None

    def organisations_touched(self, data: Mapping[str, Any]) -> list[int | None]:
        """The organisations whose part of the registry this change touches (for permission)."""
        return [None]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or type(self).cleaner is None:
            return cleaned
        creating = self.instance.pk is None
        names = list(self.fields) if creating else list(self.changed_data)
        data = form_data(self, names)
        if self.actor is not None and not all(
            access_can_manage_registry(self.actor, org_id)
            for org_id in self.organisations_touched(data)
        ):
            raise forms.ValidationError(_("You may not change this part of the registry."))
        try:
            cleaner = type(self).cleaner
            assert cleaner is not None
            cleaner(data, instance=None if creating else self.instance)
        except DomainError as exc:
            add_errors(self, exc)
        return cleaned


# Web addresses typed without a scheme get https (the admin's own default for URL fields).
URL_FIELDS: dict[type[Any], dict[str, Any]] = {
    models.URLField: {"widget": AdminURLFieldWidget, "assume_scheme": "https"}
}


def _with_actor(form_class: type[Any], request: HttpRequest) -> type[Any]:
    return type(form_class.__name__, (form_class,), {"actor": request.user})


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin[Region]):
    list_display = ("kato", "iso_code", "name_kk", "name_ru", "kind", "kato_checked")
    list_filter = ("kind", "kato_checked")
    search_fields = ("kato", "iso_code", "name_kk", "name_ru", "name_en")
    ordering = ("kato",)


# --- organisations --------------------------------------------------------------------------


class OrganisationForm(ServiceCleanedForm):
    cleaner = cleaning.clean_organisation

    class Meta:
        model = Organisation
        formfield_callback = https_urls
        fields = (
            "kind",
            "name_kk",
            "name_ru",
            "name_en",
            "short_name_kk",
            "short_name_ru",
            "short_name_en",
            "bin",
            "region",
            "parent",
            "website",
            "email",
            "phone",
            "address_kk",
            "address_ru",
            "is_active",
        )

    def organisations_touched(self, data: Mapping[str, Any]) -> list[int | None]:
        admin_only = {"kind", "bin", "parent_id", "is_active"} & set(data)
        if self.instance.pk is None or admin_only:
            return [None]  # creating, or changing what only administrators change
        return [self.instance.pk]


class ContactForm(forms.ModelForm[OrganisationContact]):
    class Meta:
        model = OrganisationContact
        fields = ("kind", "value", "label_kk", "label_ru", "label_en", "is_public", "position")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and cleaned.get("DELETE") is not True:
            try:
                cleaning.clean_contact(
                    {k: cleaned.get(k) for k in self.Meta.fields if k in cleaned}
                )
            except DomainError as exc:
                add_errors(self, exc)
        return cleaned


class ContactInline(admin.TabularInline[OrganisationContact, Organisation]):
    model = OrganisationContact
    form = ContactForm
    extra = 0


def _save_inline(
    formset: BaseInlineFormSet[Any, Any, Any],
    *,
    add: Callable[[Mapping[str, Any]], Any],
    update: Callable[[Any, Mapping[str, Any]], Any] | None,
    remove: Callable[[Any], None] | None,
    fields: tuple[str, ...],
) -> None:
    """Save an inline formset through services; keep the lists the admin's log reads."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.forms:
        if not hasattr(form, "cleaned_data") or not form.cleaned_data:
            continue
        instance = form.instance
        data = {k: form.cleaned_data[k] for k in fields if k in form.cleaned_data}
        if form.cleaned_data.get("DELETE"):
            if instance.pk and remove is not None:
                remove(instance)
                formset.deleted_objects.append(instance)
        elif instance.pk is None:
            formset.new_objects.append(add(data))
        elif form.has_changed() and update is not None:
            changed = {k: v for k, v in data.items() if k in form.changed_data}
            formset.changed_objects.append((update(instance, changed), list(changed)))


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    formfield_overrides = URL_FIELDS
    form = OrganisationForm
    inlines = (ContactInline,)
    list_display = ("__str__", "kind", "bin", "region", "is_active")
    list_filter = ("kind", "region", "is_active")
    search_fields = ("name_kk", "name_ru", "name_en", "short_name_kk", "short_name_ru", "bin")
    autocomplete_fields = ("parent", "region")
    readonly_fields = ("created_at", "updated_at")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        return _with_actor(super().get_form(request, obj, change, **kwargs), request)

    def save_model(self, request: HttpRequest, obj: Organisation, form: Any, change: bool) -> None:
        if change:
            data = form_data(form, list(form.changed_data))
            services.organisation_update(actor=request.user, organisation_id=obj.pk, data=data)  # type: ignore[arg-type]
        else:
            data = form_data(form, list(form.fields))
            created = services.organisation_create(actor=request.user, data=data)  # type: ignore[arg-type]
            _adopt(obj, created)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        organisation = form.instance
        _save_inline(
            formset,
            add=lambda data: services.organisation_contact_add(
                actor=request.user,
                organisation_id=organisation.pk,
                data=data,  # type: ignore[arg-type]
            ),
            update=lambda contact, data: services.organisation_contact_update(
                actor=request.user,
                contact_id=contact.pk,
                data=data,  # type: ignore[arg-type]
            ),
            remove=lambda contact: services.organisation_contact_remove(
                actor=request.user, contact_id=contact.pk
            ),
            fields=ContactForm.Meta.fields,
        )


def _adopt(obj: Model, created: Model) -> None:
    """Make the admin's unsaved object stand for the row the service created."""
    obj.pk = created.pk
    obj._state.adding = False
    obj._state.db = created._state.db
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(created, field.attname))


# --- by-laws --------------------------------------------------------------------------------


class ByLawForm(ServiceCleanedForm):
    cleaner = cleaning.clean_bylaw

    class Meta:
        model = ByLaw
        formfield_callback = https_urls
        fields = tuple(cleaning.BYLAW_FIELDS)

    def organisations_touched(self, data: Mapping[str, Any]) -> list[int | None]:
        if self.instance.pk is None:
            return [getattr(self.actor, "organisation_id", None)]
        owners = self.instance.services.values_list("owner_id", flat=True).distinct()
        return list(owners) or [None]


class AmendmentForm(forms.ModelForm[ByLawAmendment]):
    class Meta:
        model = ByLawAmendment
        fields = tuple(cleaning.AMENDMENT_FIELDS)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        bylaw = getattr(self.instance, "bylaw", None)
        if not self.errors and self.instance._state.adding and bylaw is not None:
            try:
                cleaning.clean_amendment(
                    {k: cleaned.get(k) for k in cleaning.AMENDMENT_FIELDS}, bylaw=bylaw
                )
            except DomainError as exc:
                add_errors(self, exc)
        return cleaned


class AmendmentInline(admin.StackedInline[ByLawAmendment, ByLaw]):
    """The history is append-only: new changes are recorded, recorded ones are not edited."""

    model = ByLawAmendment
    form = AmendmentForm
    extra = 0
    can_delete = False
    readonly_fields = ("recorded_at",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ByLaw)
class ByLawAdmin(admin.ModelAdmin[ByLaw]):
    formfield_overrides = URL_FIELDS
    form = ByLawForm
    inlines = (AmendmentInline,)
    list_display = ("__str__", "kind", "justice_registration_number", "title_ru")
    list_filter = ("kind",)
    search_fields = ("title_kk", "title_ru", "title_en", "number", "justice_registration_number")
    date_hierarchy = "adopted_on"

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        return _with_actor(super().get_form(request, obj, change, **kwargs), request)

    def save_model(self, request: HttpRequest, obj: ByLaw, form: Any, change: bool) -> None:
        if change:
            data = form_data(form, list(form.changed_data))
            services.bylaw_update(actor=request.user, bylaw_id=obj.pk, data=data)  # type: ignore[arg-type]
        else:
            data = form_data(form, list(form.fields))
            _adopt(obj, services.bylaw_create(actor=request.user, data=data))  # type: ignore[arg-type]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        bylaw = form.instance
        _save_inline(
            formset,
            add=lambda data: services.service_record_bylaw_change(
                actor=request.user,
                bylaw_id=bylaw.pk,
                data=data,  # type: ignore[arg-type]
            ),
            update=None,
            remove=None,
            fields=tuple(cleaning.AMENDMENT_FIELDS),
        )


# --- public services ------------------------------------------------------------------------


class ServiceForm(ServiceCleanedForm):
    cleaner = cleaning.clean_service

    class Meta:
        model = PublicService
        formfield_callback = https_urls
        fields = (
            "register_number",
            "name_kk",
            "name_ru",
            "name_en",
            "owner",
            "providers",
            "info_url",
            "bylaw",
            "is_active",
        )

    def organisations_touched(self, data: Mapping[str, Any]) -> list[int | None]:
        touched: list[int | None] = [self.instance.owner_id] if self.instance.pk else []
        if "owner_id" in data:
            touched.append(data["owner_id"])
        return touched or [None]


class PersonLinkInline(admin.TabularInline[Any, PublicService]):
    """The service's responsible persons, current and past (edited on the person's page)."""

    model = ResponsiblePerson.services.through
    extra = 0
    can_delete = False
    verbose_name = _("responsible person")
    verbose_name_plural = _("responsible persons")
    readonly_fields = ("responsibleperson",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PublicService)
class PublicServiceAdmin(admin.ModelAdmin[PublicService]):
    formfield_overrides = URL_FIELDS
    form = ServiceForm
    inlines = (PersonLinkInline,)
    list_display = ("register_number", "name_ru", "owner", "acceptance_status", "is_active")
    list_filter = ("acceptance_status", "is_active", "owner__kind")
    search_fields = ("register_number", "name_kk", "name_ru", "name_en")
    autocomplete_fields = ("owner", "providers", "bylaw")
    readonly_fields = ("acceptance_status", "protocol_signed_on", "consultation_from")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        return _with_actor(super().get_form(request, obj, change, **kwargs), request)

    def save_model(self, request: HttpRequest, obj: PublicService, form: Any, change: bool) -> None:
        if change:
            data = form_data(form, list(form.changed_data))
            services.service_update(actor=request.user, service_id=obj.pk, data=data)  # type: ignore[arg-type]
        else:
            data = form_data(form, list(form.fields))
            _adopt(obj, services.service_create(actor=request.user, data=data))  # type: ignore[arg-type]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Providers were set by the service; the persons inline is read-only."""
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


# --- responsible persons --------------------------------------------------------------------


class PersonForm(ServiceCleanedForm):
    cleaner = cleaning.clean_person
    phones = forms.CharField(
        label=_("phones"),
        required=False,
        help_text=_("Separate several numbers with a semicolon."),
    )

    class Meta:
        model = ResponsiblePerson
        fields = (
            "organisation",
            "full_name",
            "position_kk",
            "position_ru",
            "phones",
            "email",
            "appointed_on",
            "services",
        )

    def organisations_touched(self, data: Mapping[str, Any]) -> list[int | None]:
        touched: list[int | None] = [self.instance.organisation_id] if self.instance.pk else []
        if "organisation_id" in data:
            touched.append(data["organisation_id"])
        return touched or [None]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["phones"] = "; ".join(self.instance.phones or [])

    def clean_phones(self) -> list[str]:
        try:
            return v.phone_list(self.cleaned_data.get("phones"), "phones")
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message)) from exc


@admin.register(ResponsiblePerson)
class ResponsiblePersonAdmin(admin.ModelAdmin[ResponsiblePerson]):
    form = PersonForm
    list_display = ("full_name", "organisation", "position_ru", "appointed_on", "replaced_on")
    list_filter = ("organisation__kind", ("replaced_on", admin.EmptyFieldListFilter))
    search_fields = ("full_name", "position_kk", "position_ru", "email")
    autocomplete_fields = ("organisation", "services")
    readonly_fields = ("replaced_on", "replaced_by")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        return _with_actor(super().get_form(request, obj, change, **kwargs), request)

    def save_model(
        self, request: HttpRequest, obj: ResponsiblePerson, form: Any, change: bool
    ) -> None:
        if change:
            data = form_data(form, list(form.changed_data))
            services.responsible_person_update(actor=request.user, person_id=obj.pk, data=data)  # type: ignore[arg-type]
        else:
            data = form_data(form, list(form.fields))
            _adopt(obj, services.responsible_person_appoint(actor=request.user, data=data))  # type: ignore[arg-type]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The services were linked by the service function."""
