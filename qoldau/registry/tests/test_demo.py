"""The demo registry: every R1 kind, realistic sizes, valid identifiers, idempotent."""

from __future__ import annotations

from collections import Counter

import pytest

from qoldau.audit.models import AuditEvent
from qoldau.core.identifiers import normalise_bin, normalise_phone
from qoldau.registry.demo import load_demo_registry
from qoldau.registry.enums import AcceptanceStatus, OrganisationKind
from qoldau.registry.models import ByLawAmendment, Organisation, PublicService, ResponsiblePerson

pytestmark = pytest.mark.django_db


def test_demo_registry_has_every_kind_and_is_idempotent() -> None:
    by_kind = load_demo_registry()
    assert set(by_kind) == set(OrganisationKind.values)
    assert all(by_kind[kind] for kind in OrganisationKind.values)
    assert 25 <= Organisation.objects.count() <= 40
    assert 45 <= PublicService.objects.count() <= 60
    for organisation in Organisation.objects.all():
        assert organisation.name_kk
        assert organisation.name_ru
        assert normalise_bin(organisation.bin or "") == organisation.bin
        assert normalise_phone(organisation.phone) == organisation.phone
    statuses = Counter(PublicService.objects.values_list("acceptance_status", flat=True))
    assert statuses[AcceptanceStatus.CONSULTING] > PublicService.objects.count() / 2
    assert statuses[AcceptanceStatus.TRAINING]
    assert statuses[AcceptanceStatus.SUBMITTED]
    assert ByLawAmendment.objects.exists()
    assert ResponsiblePerson.objects.filter(replaced_on__isnull=False).exists()
    assert not PublicService.objects.filter(responsible_persons__isnull=True).exists()
    snapshot = (Organisation.objects.count(), PublicService.objects.count(),
                ResponsiblePerson.objects.count(), AuditEvent.objects.count())  # fmt: skip
    load_demo_registry()
    assert snapshot == (Organisation.objects.count(), PublicService.objects.count(),
                        ResponsiblePerson.objects.count(), AuditEvent.objects.count())  # fmt: skip
