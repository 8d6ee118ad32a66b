"""Registry pages: services and organisations (read-only for everyone signed in, private details
as ``accounts.access`` allows), and the import/export page of the contact center's
administrators."""

from __future__ import annotations

import io
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from qoldau.accounts.access import access_can_read_organisation, access_require_role
from qoldau.accounts.enums import Role
from qoldau.core import clock
from qoldau.core.errors import DomainError, FieldError, NotFound, PermissionDenied
from qoldau.registry import exporting, importing, selectors, spreadsheet
from qoldau.registry.enums import AcceptanceStatus, OrganisationKind
from qoldau.registry.models import Organisation
from qoldau.registry.validators import valid_pk

PAGE_SIZE = 50
_SESSION_KEY = "registry_import_upload"


def _is_admin(request: HttpRequest) -> bool:
    try:
        access_require_role(request.user, Role.UCC_ADMIN)
    except PermissionDenied:
        return False
    return True


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    context |= {
        "can_import": _is_admin(request),
        "querystring": f"{encoded}&" if encoded else "",
    }
    return render(request, template, context)


def _int_or_none(value: str | None) -> int | None:
    number = int(value) if value and value.isdigit() and len(value) < 20 else None
    return number if number is not None and valid_pk(number) else None


def _filter_region(request: HttpRequest) -> tuple[Any, str]:
    code = request.GET.get("region", "").strip()
    try:
        return selectors.region_for_filter(code), code
    except FieldError:
        return None, ""


@login_required
@require_GET
def service_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    organisation_id = _int_or_none(request.GET.get("organisation"))
    region, region_code = _filter_region(request)
    status = request.GET.get("status", "")
    status = status if status in AcceptanceStatus.values else ""
    services = selectors.service_list(
        query=query, organisation_id=organisation_id, region=region, status=status or None
    )
    page = Paginator(services, PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(
        request,
        "registry/service_list.html",
        {
            "page": page,
            "query": query,
            "organisation_id": organisation_id,
            "region_code": region_code,
            "status": status,
            "organisations": selectors.organisation_list(active_only=True)
            .select_related(None)
            .only("pk", "name_kk", "name_ru", "name_en"),
            "regions": selectors.region_list(),
            "statuses": AcceptanceStatus.choices,
            "today": clock.today(),
        },
    )


@login_required
@require_GET
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        service = selectors.service_get(service_id=pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    return _render(
        request,
        "registry/service_detail.html",
        {
            "service": service,
            "providers": list(service.providers.all()),
            "amendments": list(service.bylaw.amendments.all()) if service.bylaw else [],
            "persons": selectors.service_responsible_persons(service=service, actor=request.user),
            "consultable": selectors.service_is_consultable(service, clock.today()),
        },
    )


@login_required
@require_GET
def organisation_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    kind = kind if kind in OrganisationKind.values else ""
    region, region_code = _filter_region(request)
    organisations = selectors.organisation_list(query=query, kind=kind or None, region=region)
    page = Paginator(organisations, PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(
        request,
        "registry/organisation_list.html",
        {
            "page": page,
            "query": query,
            "kind": kind,
            "region_code": region_code,
            "kinds": OrganisationKind.choices,
            "regions": selectors.region_list(),
        },
    )


@login_required
@require_GET
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        organisation = selectors.organisation_get(organisation_id=pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    return _render(
        request,
        "registry/organisation_detail.html",
        {
            "organisation": organisation,
            "contacts": selectors.organisation_contacts(
                organisation=organisation, actor=request.user
            ),
            "private_visible": access_can_read_organisation(request.user, organisation.pk),
            "children": list(Organisation.objects.filter(parent=organisation).order_by("name_ru")),
            "services": selectors.service_list(organisation_id=organisation.pk),
        },
    )


# --- import and export (the contact center's administrators) -------------------------------


def _require_admin(request: HttpRequest) -> None:
    if not _is_admin(request):
        raise HttpForbidden(_("You do not have permission to do this."))


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "registry-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stored_upload(request: HttpRequest) -> tuple[Path, str] | None:
    saved = request.session.get(_SESSION_KEY)
    if not saved:
        return None
    path = _upload_dir() / str(saved["token"])
    return (path, str(saved["filename"])) if path.is_file() else None


def _run(
    request: HttpRequest, path: Path, filename: str, *, confirm: bool, valid_only: bool
) -> Any:
    with path.open("rb") as stream:
        sheets = spreadsheet.read_file(stream, filename)
    return importing.registry_import(
        actor=request.user, sheets=sheets, valid_only=valid_only, dry_run=not confirm
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    """Upload a file, see every broken row, then confirm (R4; layout in docs/registry.md)."""
    _require_admin(request)
    context: dict[str, Any] = {"report": None, "error": "", "filename": "", "confirmed": False}
    if request.method == "POST":
        action = request.POST.get("action", "check")
        valid_only = request.POST.get("valid_only") == "on"
        try:
            if action == "check":
                upload = request.FILES.get("file")
                if upload is None:
                    raise FieldError("file", "required", _("Choose a file to import."))
                if (upload.size or 0) > spreadsheet.MAX_FILE_BYTES:
                    raise spreadsheet.too_big()
                token = secrets.token_hex(16) + Path(upload.name or "").suffix.lower()
                path = _upload_dir() / token
                with path.open("wb") as target:
                    for chunk in upload.chunks():
                        target.write(chunk)
                request.session[_SESSION_KEY] = {"token": token, "filename": upload.name}
                filename = str(upload.name)
                report = _run(request, path, filename, confirm=False, valid_only=valid_only)
            else:
                stored = _stored_upload(request)
                if stored is None:
                    raise FieldError("file", "required", _("Choose a file to import."))
                path, filename = stored
                report = _run(request, path, filename, confirm=True, valid_only=valid_only)
                if report.applied:
                    path.unlink(missing_ok=True)
                    request.session.pop(_SESSION_KEY, None)
                context["confirmed"] = True
            context.update(report=report, filename=filename, valid_only=valid_only)
        except DomainError as exc:
            context["error"] = str(exc.message)
    context["outcomes"] = _outcome_rows(context["report"])
    return _render(request, "registry/import.html", context)


def _outcome_rows(report: importing.ImportReport | None) -> list[dict[str, Any]]:
    if report is None:
        return []
    return [
        {"sheet": sheet, **{o: report.count(sheet, o) for o in importing.OUTCOMES}}
        for sheet in spreadsheet.IMPORT_ORDER
    ]


@login_required
@require_GET
def export_view(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    file_format = request.GET.get("format", "xlsx")
    what = request.GET.get("what") or None
    if file_format not in {"xlsx", "csv"} or (what and what not in exporting.WHAT_CHOICES):
        return redirect("registry:import")
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if file_format == "xlsx"
        else "text/csv; charset=utf-8"
    )
    buffer = io.BytesIO()
    exporting.registry_export(stream=buffer, file_format=file_format, what=what)
    response = HttpResponse(buffer.getvalue(), content_type=content_type)
    name = f"registry-{what or 'all'}-{clock.today():%Y%m%d}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
