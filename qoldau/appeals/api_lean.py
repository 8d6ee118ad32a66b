"""The lean path of ``POST /api/v1/appeals/`` for API-key clients (issue 4, ADR 0009, ADR 0011).

A WSGI wrapper around Django's handler (``config/wsgi.py``). It serves an intake itself only
when the request is the common, well-formed case: an active API key, no session cookie, a
JSON object whose fields have the schema's types, a host Django accepts, no redirect to HTTPS
due. Then it does what the ninja view does — the same services, the same response and error
bodies — and adds the headers the middleware would have added (request id, security headers,
``Content-Language``, ``Vary``, ``X-Frame-Options``), counts the request in the same metrics
and logs a refusal as Django's handler does; it skips Django's request and response objects,
signals and middleware chain, which cost more of an intake's CPU than the registration. Anything
else goes to Django unchanged, so its answer (401, 403, CSRF, pydantic's field errors, the
redirect) is the one it always was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import orjson
from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.urls import resolve
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.services import api_key_authenticate
from qoldau.appeals.api import AppealIn, appeal_as_json
from qoldau.appeals.intake import IntakeRequest, IntakeResult, intake_prepare, intake_run
from qoldau.appeals.services import appeal_register
from qoldau.core.api_errors import domain_error_body
from qoldau.core.errors import DomainError
from qoldau.core.logging import request_id_var
from qoldau.core.middleware import HTTP_LATENCY, HTTP_REQUESTS, request_id_from

PATH = "/api/v1/appeals/"

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

# The schema's text fields and their defaults, as ``AppealIn(...).dict()`` fills them in.
_TEXT_FIELDS: tuple[tuple[str, str], ...] = tuple(
    (name, str(info.default))
    for name, info in AppealIn.model_fields.items()
    if info.annotation is str
)
# A full date-time with its offset: pydantic and ``fromisoformat`` read these alike; any other
# form is left to pydantic (the full path), which may accept, coerce or refuse it.
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")
# The headers the skipped middleware add to the intake's answer (locale and session: Vary;
# clickjacking: X-Frame-Options).
_VARY = "Accept-Language, Cookie"
_SUCCESS_TYPE = "application/json"  # JsonResponse's, as the view answers
_ERROR_TYPE = "application/json; charset=utf-8"  # ninja's, as its error handler answers
_request_logger = logging.getLogger("django.request")
_BUSY = _(
    "The appeal was not registered in time. Send the same request again with the same "
    "Idempotency-Key: it is registered only once."
)


def decode_intake(body: bytes) -> dict[str, Any] | None:
    """The request body as the view's ``payload.dict()``, or None when only pydantic can say
    what it is (not UTF-8 JSON, not an object, a field of another type, another date form)."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(raw, dict):
        return None
    data: dict[str, Any] = {}
    for name, default in _TEXT_FIELDS:
        value = raw.get(name, default)
        if type(value) is not str:
            return None
        data[name] = value
    moment = raw.get("received_at")
    if moment is not None:
        if type(moment) is not str or _MOMENT.fullmatch(moment) is None:
            return None
        try:
            moment = dt.datetime.fromisoformat(moment)
        except ValueError:
            return None
    data["received_at"] = moment
    return data


def _api_key(environ: Environ) -> str:
    raw = str(environ.get("HTTP_X_API_KEY") or "")
    if not raw:
        header = str(environ.get("HTTP_AUTHORIZATION") or "")
        if header.startswith("Bearer "):
            raw = header[len("Bearer ") :].strip()
    return raw


class _Declined(Exception):
    """The request is not the lean path's to answer: Django's stack answers it."""


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: list[tuple[str, str]]
    logged: bool = False  # a 500 is logged where it is made, as Django's handler does


DECLINED = _Answer(0, b"", [])


@dataclass
class _Intake:
    """One request on the lean path, as its job in the group committer sees it."""

    environ: Environ
    request_id: str
    request: WSGIRequest | None = None
    language: str = ""


class LeanIntakeApp:
    """Serve API-key intakes before Django's handler; pass everything else to ``app``.

    An intake with an ``Idempotency-Key`` is answered by a job of the group committer (ADR
    0011): reading, checking, registering and the answer all run in the committer's thread,
    and this request thread only waits for it."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self._route = ""
        self._security: dict[bool, list[tuple[str, str]]] = {}
        self._lock = threading.Lock()
        self._thread = threading.local()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        started = time.perf_counter()
        if not self._route:
            self._route = str(resolve(PATH).route)  # the metrics' label (resolved once)
        intake = _Intake(environ, request_id_from(str(environ.get("HTTP_X_REQUEST_ID") or "")))
        try:
            if "HTTP_IDEMPOTENCY_KEY" in environ and _read_body(environ):
                answer = intake_run(
                    lambda: self._prepare(intake), lambda outcome: self._finish(intake, outcome)
                )
            else:  # registered one by one, as the view does: in this thread
                answer = self._direct(intake)
        except TimeoutError:
            answer = self._busy(intake)
        except Exception as exc:  # e.g. the database gone while the API key was looked up
            answer = self._failure(self._requested(intake), exc)
        finally:
            self._finished()
        if answer is DECLINED:
            return self.app(environ, start_response)
        assert intake.request is not None
        headers = [
            *answer.headers,
            ("X-Request-ID", intake.request_id),
            *self._security_headers(intake.request),
        ]
        status = answer.status
        HTTP_LATENCY.labels("POST", self._route).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels("POST", self._route, str(status)).inc()
        if status >= 400 and not answer.logged:  # as Django's handler logs a refusal
            level = _request_logger.error if status >= 500 else _request_logger.warning
            level("%s: %s", HTTPStatus(status).phrase, PATH, extra={"status_code": status})
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [answer.body]

    def _finished(self) -> None:
        """Django's handler runs the ``request_finished`` receivers (closing a database
        connection past its age or broken) after every request; here at most once a second in
        each thread: they cost a fifth of the lean path's CPU, and its requests rarely use the
        thread's connection (the group committer has its own)."""
        now = time.monotonic()
        if now - getattr(self._thread, "finished_at", 0.0) >= 1.0:
            self._thread.finished_at = now
            signals.request_finished.send(sender=self.__class__)

    @contextlib.contextmanager
    def _context(self, intake: _Intake) -> Iterator[None]:
        """The request's id (log lines, audit rows) and language, wherever its work runs."""
        token = request_id_var.set(intake.request_id)
        try:
            with translation.override(intake.language):
                yield
        finally:
            request_id_var.reset(token)

    def _begin(self, intake: _Intake) -> tuple[Any, dict[str, Any]] | None:
        """The request's actor and body, its request object and language kept on ``intake``;
        None when the full stack must answer."""
        try:
            request, actor, data = self._accept(intake.environ)
        except _Declined:
            return None
        intake.request = request
        intake.language = translation.get_language_from_request(request)
        return actor, data

    def _prepare(self, intake: _Intake) -> IntakeRequest | _Answer:
        """In the committer: the intake to register, or the answer at once (refused,
        replayed, declined to the full stack)."""
        begun = self._begin(intake)
        if begun is None:
            return DECLINED
        actor, data = begun
        with self._context(intake):
            try:
                prepared = intake_prepare(
                    actor=actor,
                    data=data,
                    key=str(intake.environ["HTTP_IDEMPOTENCY_KEY"]),
                    render=appeal_as_json,
                )
            except Exception as exc:
                return self._failure(intake, exc)
            if isinstance(prepared, IntakeResult):
                return self._success(intake, prepared.status, prepared.body, prepared.replayed)
            return prepared

    def _finish(self, intake: _Intake, outcome: IntakeResult | Exception) -> _Answer:
        """In the committer, after the batch: the answer to the registered intake."""
        if isinstance(outcome, Exception):
            with self._context(intake):  # an error's text is in the request's language
                return self._failure(intake, outcome)
        return self._success(intake, outcome.status, outcome.body, outcome.replayed)

    def _direct(self, intake: _Intake) -> _Answer:
        """Without an ``Idempotency-Key``: ``appeal_register`` in this thread, as the view."""
        begun = self._begin(intake)
        if begun is None:
            return DECLINED
        actor, data = begun
        with self._context(intake):
            try:
                appeal = appeal_register(actor=actor, data=data)
                return self._success(intake, 201, appeal_as_json(appeal), False)
            except Exception as exc:
                return self._failure(intake, exc)

    def _requested(self, intake: _Intake) -> _Intake:
        """``intake`` with its request object and language, made here if its job had not."""
        if intake.request is None:
            intake.request = WSGIRequest(intake.environ)
            intake.language = translation.get_language_from_request(intake.request)
        return intake

    def _busy(self, intake: _Intake) -> _Answer:
        """The committer did not answer within ``APPEALS_INTAKE_WAIT_SECONDS`` (the database is
        slow or away): 503, and the client sends the same request again — the key makes sure
        it is registered once, whether or not the first attempt gets through meanwhile."""
        self._requested(intake)
        with self._context(intake):
            body: dict[str, Any] = {
                "code": "intake_busy",
                "message": str(_BUSY),
                "field": None,
                "errors": [],
            }
        content = orjson.dumps(body)
        headers = self._headers(intake, _ERROR_TYPE, content)
        headers.append(("Retry-After", "1"))
        return _Answer(503, content, headers)

    def _success(
        self, intake: _Intake, status: int, body: dict[str, Any], replayed: bool
    ) -> _Answer:
        content = orjson.dumps(body)
        headers = self._headers(intake, _SUCCESS_TYPE, content)
        if replayed:
            headers.append(("Idempotent-Replayed", "true"))
        return _Answer(status, content, headers)

    def _failure(self, intake: _Intake, error: Exception) -> _Answer:
        """A domain error's uniform body, as the API's handler gives it; anything else what
        Django's handler makes of it: a 500, logged."""
        if isinstance(error, DomainError):
            status, body = domain_error_body(error)
            content = orjson.dumps(body)
            return _Answer(status, content, self._headers(intake, _ERROR_TYPE, content))
        assert intake.request is not None
        try:
            raise error  # the handler reads the exception being handled
        except Exception as exc:
            response = response_for_exception(intake.request, exc)
        return _Answer(response.status_code, response.content, list(response.items()), True)

    def _headers(self, intake: _Intake, content_type: str, content: bytes) -> list[tuple[str, str]]:
        return [
            ("Content-Type", content_type),
            ("Content-Length", str(len(content))),
            ("Content-Language", intake.language),
            ("Vary", _VARY),
            ("X-Frame-Options", getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()),
        ]

    def _accept(self, environ: Environ) -> tuple[WSGIRequest, Any, dict[str, Any]]:
        """The request, its API key's actor and its decoded body; ``_Declined`` when the full
        stack must answer."""
        content_type = str(environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip()
        if content_type != "application/json" or settings.DISALLOWED_USER_AGENTS:
            raise _Declined
        request = WSGIRequest(environ)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            raise _Declined  # a person's session decides language and authentication
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            raise _Declined  # the security middleware redirects it
        try:
            request.get_host()  # ALLOWED_HOSTS, as the common middleware checks it
        except DisallowedHost:
            raise _Declined from None  # Django answers 400 and logs it
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if not 0 < length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise _Declined  # no body, a chunked one, or too large: Django's checks
        raw_key = _api_key(environ)
        actor = api_key_authenticate(raw_key) if raw_key else None
        if actor is None:
            raise _Declined
        body = request.body
        data = decode_intake(body)
        if data is None:
            # The body is read: the full stack reads it again from a fresh stream.
            environ["wsgi.input"] = io.BytesIO(body)
            raise _Declined
        return request, actor, data

    def _security_headers(self, request: WSGIRequest) -> list[tuple[str, str]]:
        """The security middleware's response headers (HSTS only over HTTPS), as it sets them:
        worked out by the middleware itself once for each case."""
        secure = request.is_secure()
        headers = self._security.get(secure)
        if headers is None:
            with self._lock:
                response = SecurityMiddleware(lambda _request: HttpResponse()).process_response(
                    request, HttpResponse()
                )
                headers = [(k, v) for k, v in response.items() if k.lower() != "content-type"]
                self._security[secure] = headers
        return headers


def _read_body(environ: Environ) -> bool:
    """Read a body of an acceptable size in the request's own thread (the server's input
    stream is that thread's), leaving a fresh stream for whoever reads it next; False for any
    other body (chunked, absent, too large), which Django's checks then answer."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    if not 0 < length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return False
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return True
