"""Screens of recordings (R17): the authorized bodies' requests, the contact center's queue, the
call page with its player, the audio (HTTP Range) and the expiring downloads."""

from __future__ import annotations

import tempfile
import zipfile
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from qoldau.core import clock
from qoldau.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from qoldau.recordings import requests as request_services
from qoldau.recordings import selectors
from qoldau.recordings.access import can_listen, is_authorized_body
from qoldau.recordings.enums import RequestStatus
from qoldau.recordings.forms import RequestForm, add_domain_errors
from qoldau.recordings.models import DeliveredFile, RecordingRequest
from qoldau.recordings.ports import ObjectMissing, recording_store
from qoldau.recordings.presentation import (
    call_state_label,
    citation_of,
    clock_of,
    local,
    mask_phone,
)
from qoldau.recordings.ranges import Unsatisfiable, parse_range
from qoldau.recordings.services import recording_listen
from qoldau.recordings.transitions import OPEN


def _forbid(exc: PermissionDenied) -> HttpForbidden:
    return HttpForbidden(str(exc.message))


def _row(request: RecordingRequest, *, full_phone: bool) -> dict[str, Any]:
    return {
        "request": request,
        "clock": clock_of(request),
        "phone": request.phone if full_phone else mask_phone(request.phone),
    }


@login_required
@require_safe
def request_list(request: HttpRequest) -> HttpResponse:
    """The authorized body's requests (the contact center's staff are sent to their queue)."""
    if can_listen(request.user) and not is_authorized_body(request.user):
        return HttpResponseRedirect(reverse("recordings:queue"))
    if not is_authorized_body(request.user):
        raise HttpForbidden(_("Only an officer of an authorized body may request call recordings."))
    rows = selectors.request_list_for_body(actor=request.user)
    return render(
        request,
        "recordings/request_list.html",
        {"rows": [_row(r, full_phone=True) for r in rows]},
    )


def _read_upload(upload: Any) -> tuple[bytes | None, str]:
    if upload is None:
        return None, ""
    limit = int(settings.RECORDINGS_REQUEST_DOCUMENT_MAX_BYTES)
    # Read one byte past the limit at most: enough for the service to refuse a large file.
    data = upload.read(limit + 1)
    return data, str(upload.name or "")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    if not is_authorized_body(request.user):
        raise HttpForbidden(_("Only an officer of an authorized body may request call recordings."))
    form = RequestForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        document, name = _read_upload(data.get("document"))
        try:
            filed, fresh = request_services.recording_request_file_once(
                actor=request.user,
                call_date=data["call_date"],
                phone=data["phone"],
                document=document,
                document_name=name,
                reference=data["reference"],
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
            status = 422
        except PermissionDenied as exc:
            raise _forbid(exc) from exc
        else:
            done = (
                _("Request No. %(number)s is registered; the recordings are due by %(due)s.")
                if fresh
                else _(
                    "This request was already filed as No. %(number)s; the recordings are "
                    "due by %(due)s."
                )
            )
            messages.success(
                request,
                done % {"number": filed.pk, "due": f"{local(filed.due_at):%d.%m.%Y %H:%M}"},
            )
            return HttpResponseRedirect(reverse("recordings:request_detail", args=[filed.pk]))
    elif request.method == "POST":
        status = 422
    return render(request, "recordings/request_new.html", {"form": form}, status=status)


@login_required
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    """The contact center's queue: open requests with the time left, the most urgent first."""
    if not can_listen(request.user):
        raise HttpForbidden(
            _("Only the contact center's supervisors and administrators may do this.")
        )
    open_rows = selectors.request_queue(actor=request.user)
    done = selectors.request_recent_answered(actor=request.user)
    return render(
        request,
        "recordings/queue.html",
        {
            "open_rows": [_row(r, full_phone=False) for r in open_rows],
            "done_rows": [_row(r, full_phone=False) for r in done],
        },
    )


@login_required
@require_safe
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        request_services.recording_request_open(actor=request.user, request_id=pk)
        item = selectors.request_get(actor=request.user, request_id=pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    staff = can_listen(request.user)
    found = selectors.request_found_calls(request=item) if staff else []
    files = list(item.files.all())
    downloadable = (
        not staff
        and item.status == RequestStatus.DELIVERED
        and item.delivery_expires_at is not None
        and clock.now() < item.delivery_expires_at
    )
    return render(
        request,
        "recordings/request_detail.html",
        {
            "item": item,
            "staff": staff,
            "clock": clock_of(item),
            "citation": citation_of(item),
            "found": found,
            "has_recordings": any(f.recording is not None for f in found),
            "open": item.status in OPEN,
            "files": files,
            "downloadable": downloadable,
        },
    )


@login_required
@require_POST
def request_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("recording") if v.isdigit()]
    try:
        request_services.recording_request_deliver(
            actor=request.user, request_id=pk, recording_ids=ids
        )
    except PermissionDenied as exc:
        raise _forbid(exc) from exc
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The recordings are delivered to the requesting body."))
    return HttpResponseRedirect(reverse("recordings:request_detail", args=[pk]))


@login_required
@require_POST
def request_none(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        request_services.recording_request_answer_none(actor=request.user, request_id=pk)
    except PermissionDenied as exc:
        raise _forbid(exc) from exc
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The answer “no recordings found” is sent."))
    return HttpResponseRedirect(reverse("recordings:request_detail", args=[pk]))


def _attachment(chunks: Any, *, name: str, content_type: str, size: int) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
def request_document(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        item = request_services.recording_request_document(actor=request.user, request_id=pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    try:
        chunks = recording_store().open(item.document_key)
    except ObjectMissing as exc:
        raise Http404(_("The file is missing from the store.")) from exc
    extension = item.document_key.rsplit(".", 1)[-1]
    return _attachment(
        chunks,
        name=f"request-{item.pk}.{extension}",
        content_type=item.document_type,
        size=item.document_size,
    )


def _download(
    request: HttpRequest, pk: int, file_id: int | None
) -> tuple[Any, list[DeliveredFile]]:
    try:
        return request_services.recording_delivery_download(
            actor=request.user, request_id=pk, file_id=file_id
        )
    except PermissionDenied as exc:
        raise _forbid(exc) from exc
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _gone(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "recordings/gone.html", {"message": exc.message}, status=410)


@login_required
@require_safe
def delivery_file(request: HttpRequest, pk: int, file_id: int) -> HttpResponseBase:
    try:
        _item, files = _download(request, pk, file_id)
    except Conflict as exc:
        return _gone(request, exc)
    delivered = files[0]
    try:
        chunks = recording_store().open(delivered.recording.storage_key)
    except ObjectMissing as exc:
        raise Http404(_("The file is missing from the store.")) from exc
    return _attachment(
        chunks,
        name=delivered.file_name,
        content_type=delivered.recording.content_type,
        size=delivered.size,
    )


@login_required
@require_safe
def delivery_zip(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        item, files = _download(request, pk, None)
    except Conflict as exc:
        return _gone(request, exc)
    store = recording_store()
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115 (FileResponse closes it)
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        sums = []
        for delivered in files:
            with archive.open(delivered.file_name, "w", force_zip64=True) as member:
                for chunk in store.open(delivered.recording.storage_key):
                    member.write(chunk)
            sums.append(f"{delivered.sha256}  {delivered.file_name}\n")
        archive.writestr("SHA256SUMS", "".join(sums))
    spool.seek(0)
    response = FileResponse(
        spool,
        as_attachment=True,
        filename=f"recordings-{item.pk}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def audio(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The recording for the browser's <audio> element, with HTTP Range requests (seeking);
    every request is an audited listening."""
    header = request.headers.get("Range", "")
    context = request.GET.get("request", "")
    try:
        recording = recording_listen(
            actor=request.user,
            recording_id=pk,
            byte_range=header,
            request_id=int(context) if context.isdigit() else None,
        )
    except PermissionDenied as exc:
        raise _forbid(exc) from exc
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    size = recording.size
    try:
        wanted = parse_range(header, size)
    except Unsatisfiable:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    store = recording_store()
    response: HttpResponseBase
    try:
        if wanted is None:
            response = StreamingHttpResponse(
                store.open(recording.storage_key), content_type=recording.content_type
            )
            response["Content-Length"] = str(size)
        else:
            response = StreamingHttpResponse(
                store.open(recording.storage_key, start=wanted.start, end=wanted.end),
                content_type=recording.content_type,
                status=206,
            )
            response["Content-Length"] = str(wanted.length)
            response["Content-Range"] = wanted.content_range(size)
    except ObjectMissing as exc:
        raise Http404(_("The file is missing from the store.")) from exc
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
def call_list(request: HttpRequest) -> HttpResponse:
    if not can_listen(request.user):
        raise HttpForbidden(
            _("Only the contact center's supervisors and administrators may do this.")
        )
    rows = selectors.recorded_calls(actor=request.user)
    return render(
        request,
        "recordings/call_list.html",
        {"rows": [{"recording": r, "phone": mask_phone(r.call.caller)} for r in rows]},
    )


@login_required
@require_safe
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        call, recording = selectors.call_get(actor=request.user, call_pk=pk)
    except NotFound as exc:
        if not can_listen(request.user):
            raise HttpForbidden(str(exc.message)) from exc
        raise Http404(str(exc.message)) from exc
    return render(
        request,
        "recordings/call_detail.html",
        {
            "call": call,
            "recording": recording,
            "phone": mask_phone(call.caller),
            "state": call_state_label(call.state),
            "context_request": request.GET.get("request", ""),
        },
    )
