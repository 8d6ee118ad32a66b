"""Who sees which links (R2): one declarative table, role → items.

A later app adds its pages by adding (or un-commenting the planned) rows below with its URL
names. An item shows only when its URL name resolves, so a row whose feature is not built yet
never becomes a dead link: the planned rows for knowledge, appeals, routing, reports,
interaction and ict stay hidden until those apps ship the named URLs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qoldau.accounts.enums import Role

Text: TypeAlias = str | Promise


@dataclass(frozen=True, slots=True)
class NavItem:
    """One link: a URL name without arguments, a short label and a one-sentence description."""

    url_name: str
    label: Text
    description: Text
    # The Django admin site lets in only staff accounts; other people would meet its login page.
    staff_only: bool = False


@dataclass(frozen=True, slots=True)
class RoleSection:
    """What a role is for (shown on its home page) and its links."""

    title: Text
    welcome: Text
    items: tuple[NavItem, ...]


# Short labels carry the "navigation" context, so the same words in another app's catalogue
# (which Django would prefer: apps listed earlier win) cannot change them.

# Items shared by several roles.
_SERVICES = NavItem(
    "registry:service_list",
    pgettext_lazy("navigation", "Public services"),
    _("The registry of public services with each service's card."),
)
_ORGANISATIONS = NavItem(
    "registry:organisation_list",
    pgettext_lazy("navigation", "Organisations"),
    _("State bodies, service providers and other participants with their contacts."),
)
_KNOWLEDGE_SEARCH = NavItem(
    "knowledge:search",
    pgettext_lazy("navigation", "Knowledge search"),
    _("Find the answer to a citizen's question in the knowledge base."),
)
_KNOWLEDGE_DASHBOARD = NavItem(
    "knowledge:dashboard",
    pgettext_lazy("navigation", "Knowledge base"),
    _("Stale, untranslated and draft articles and the reviews waiting for you."),
)
_REVIEW_FLAGS = NavItem(
    "knowledge:flag_list",
    pgettext_lazy("navigation", "Articles to review"),
    _("Articles whose by-law changed, with the review due date (Rules p.26)."),
)
_DESK = NavItem(
    "appeals:desk",
    pgettext_lazy("navigation", "Desk"),
    _("Take calls, see the caller's history and register appeals beside the knowledge base."),
)
_APPEALS = NavItem(
    "appeals:list",
    pgettext_lazy("navigation", "Appeals"),
    _("Register appeals and follow their deadlines."),
)
_OPERATORS = NavItem(
    "routing:operators",
    pgettext_lazy("navigation", "Operators"),
    _("Operators' presence, competences and queues; trainings that grant competences."),
)
_APPEAL_QUEUES = NavItem(
    "appeals:queue",
    pgettext_lazy("navigation", "Appeal queues"),
    _("Open and overdue appeals, by operator and group."),
)
_REPORTS = NavItem(
    "reports:index",
    pgettext_lazy("navigation", "Reports"),
    _("Monthly and quarterly reports on appeals and ICT requests."),
)
_QUALITY = NavItem(
    "reports:quality",
    pgettext_lazy("navigation", "Quality figures"),
    _("Answer times, ratings, replies on time and escalations for any period."),
)

_RECORDING_QUEUE = NavItem(
    "recordings:queue",
    pgettext_lazy("navigation", "Recording requests"),
    _("Requests of the authorized bodies for call recordings to fulfil within four hours."),
)
_RECORDED_CALLS = NavItem(
    "recordings:call_list",
    pgettext_lazy("navigation", "Recorded calls"),
    _("Listen to the recordings of calls; every listening is recorded."),
)
_RECORDING_REQUESTS = NavItem(
    "recordings:request_list",
    pgettext_lazy("navigation", "Recording requests"),
    _("Request the recordings of calls from a number on a date and download them."),
)

# The order of the roles is the order of the sections on the home page.
NAVIGATION: dict[str, RoleSection] = {
    Role.OPERATOR: RoleSection(
        title=pgettext_lazy("navigation", "Operator"),
        welcome=_(
            "You answer citizens and companies on the 1414 line and in writing, using only "
            "the knowledge base, and register every contact as an appeal."
        ),
        items=(_DESK, _KNOWLEDGE_SEARCH, _APPEALS, _SERVICES, _ORGANISATIONS),
    ),
    Role.SUPERVISOR: RoleSection(
        title=pgettext_lazy("navigation", "Supervisor"),
        welcome=_(
            "You watch the queues and the waiting time, help operators and check the quality "
            "of their answers."
        ),
        items=(
            NavItem(
                "reports:wallboard",
                pgettext_lazy("navigation", "Queues and wallboard"),
                _("Calls waiting, operators' presence and the answer time, live."),
            ),
            _OPERATORS,
            _APPEALS,
            _APPEAL_QUEUES,
            _KNOWLEDGE_SEARCH,
            _REVIEW_FLAGS,
            _SERVICES,
            _REPORTS,
            _RECORDING_QUEUE,
            _RECORDED_CALLS,
        ),
    ),
    Role.UCC_ADMIN: RoleSection(
        title=pgettext_lazy("navigation", "Administrator"),
        welcome=_(
            "You keep the contact center's settings, people and reference data: the registry "
            "of public services and the organisations."
        ),
        items=(
            NavItem(
                "admin:index",
                pgettext_lazy("navigation", "Administration site"),
                _("All records and settings of the system."),
                staff_only=True,
            ),
            NavItem(
                "admin:accounts_user_changelist",
                pgettext_lazy("navigation", "Users"),
                _("Accounts, roles and organisations of the people who work in the system."),
                staff_only=True,
            ),
            _KNOWLEDGE_DASHBOARD,
            _SERVICES,
            _ORGANISATIONS,
            NavItem(
                "registry:import",
                pgettext_lazy("navigation", "Registry import and export"),
                _("Load the registry of public services from a spreadsheet or download it."),
            ),
            _RECORDING_QUEUE,
            _RECORDED_CALLS,
        ),
    ),
    Role.KB_EDITOR: RoleSection(
        title=pgettext_lazy("navigation", "Knowledge base editor"),
        welcome=_(
            "You write and review the knowledge base articles in Kazakh, Russian and English "
            "and keep them in step with the by-laws."
        ),
        items=(
            _KNOWLEDGE_DASHBOARD,
            NavItem(
                "knowledge:article_list",
                pgettext_lazy("navigation", "Articles"),
                _("Articles with their versions, reviews and publication."),
            ),
            _REVIEW_FLAGS,
            _KNOWLEDGE_SEARCH,
            _SERVICES,
        ),
    ),
    Role.RESPONSIBLE_PERSON: RoleSection(
        title=pgettext_lazy("navigation", "Partner organisation"),
        welcome=_(
            "You keep the information about your organisation's public services up to date and "
            "hand services over to the contact center for consultation."
        ),
        items=(
            _SERVICES,
            NavItem(
                "interaction:handover_list",
                pgettext_lazy("navigation", "Service hand-over"),
                _("Hand a service over for consultation and follow each step's deadline."),
            ),
            NavItem(
                "interaction:request_list",
                pgettext_lazy("navigation", "Clarification requests"),
                _("Questions from the contact center that wait for your organisation's answer."),
            ),
        ),
    ),
    Role.INFORMATIZATION_OFFICER: RoleSection(
        title=pgettext_lazy("navigation", "Authorized body in informatization"),
        welcome=_("You oversee the quality of the contact center's work and receive its reports."),
        items=(_QUALITY, _REPORTS, _RECORDING_REQUESTS),
    ),
    Role.QUALITY_OFFICER: RoleSection(
        title=pgettext_lazy("navigation", "Authorized body for service quality"),
        welcome=_(
            "You receive the reports on appeals and complaints about public services and request "
            "call recordings."
        ),
        items=(_QUALITY, _REPORTS, _RECORDING_REQUESTS),
    ),
    Role.ICI_STAFF: RoleSection(
        title=pgettext_lazy("navigation", "E-government infrastructure operator"),
        welcome=_(
            "You answer the ICT requests of state bodies passed on by the contact center and "
            "announce planned interruptions."
        ),
        items=(
            NavItem(
                "ict:request_list",
                pgettext_lazy("navigation", "ICT requests"),
                _("Requests of state bodies assigned to your responsible groups."),
            ),
            NavItem(
                "ict:outage_list",
                pgettext_lazy("navigation", "Planned interruptions"),
                _("Announce an interruption of an e-government service."),
            ),
        ),
    ),
    Role.RECIPIENT: RoleSection(
        title=pgettext_lazy("navigation", "Service recipient"),
        welcome=_("You can follow your appeals to the contact center and their answers."),
        items=(),
    ),
}


@dataclass(frozen=True, slots=True)
class Link:
    """A resolved item, ready for a template."""

    url: str
    label: Text
    description: Text
    current: bool


@dataclass(frozen=True, slots=True)
class Section:
    role: str
    title: Text
    welcome: Text
    links: tuple[Link, ...]


def _resolve(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def navigation_roles(user: Any) -> list[str]:
    """The user's roles in table order; a superuser without roles gets the administrator's."""
    if user is None or not user.is_authenticated:
        return []
    held = set(user.role_codes())
    if user.is_superuser:
        held.add(Role.UCC_ADMIN)
    return [role for role in NAVIGATION if role in held]


def _current(urls: Iterable[str], path: str) -> str | None:
    """The link the page belongs to: the longest URL that the path starts with."""
    matches = [url for url in urls if path == url or (url.endswith("/") and path.startswith(url))]
    return max(matches, key=len, default=None)


def navigation_sections(
    user: Any, current_path: str = "", table: Mapping[str, RoleSection] | None = None
) -> list[Section]:
    """One section per role the user holds, with only the links that resolve."""
    table = NAVIGATION if table is None else table
    resolved: dict[str, str | None] = {}
    chosen: list[tuple[str, RoleSection, list[tuple[str, NavItem]]]] = []
    for role in navigation_roles(user):
        section = table.get(role)
        if section is None:
            continue
        items = []
        for item in section.items:
            if item.staff_only and not user.is_staff:
                continue
            if item.url_name not in resolved:
                resolved[item.url_name] = _resolve(item.url_name)
            url = resolved[item.url_name]
            if url is not None:
                items.append((url, item))
        chosen.append((role, section, items))
    current = _current((url for url in resolved.values() if url), current_path)
    return [
        Section(
            role,
            section.title,
            section.welcome,
            tuple(Link(url, i.label, i.description, url == current) for url, i in items),
        )
        for role, section, items in chosen
    ]


def navigation_links(sections: Iterable[Section]) -> list[Link]:
    """The header's links: every section's links once, in the order they first appear."""
    seen: set[str] = set()
    links = []
    for section in sections:
        for link in section.links:
            if link.url not in seen:
                seen.add(link.url)
                links.append(link)
    return links
