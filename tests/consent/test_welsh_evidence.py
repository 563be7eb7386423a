"""What a Welsh reader was shown stays as it was after the organisation
changes its Welsh, and a Welsh reader meets no English the service wrote."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from accounts.models import User
from consent import records, services
from consent.models import ConsentRecord, ConsentRequest, ConsentType
from tests.consent import test_consent
from tests.consent.test_consent import answer, ask
from tests.consent.test_signing_journey import _welsh_wording, _words

child = test_consent.child
site = test_consent.site
consent_only = test_consent.consent_only

pytestmark = pytest.mark.django_db

OLD_NAME = "Sesiynau ar-lein a galwadau fideo"
NEW_NAME = "Sesiynau therapi ar fideo"


def test_an_old_welsh_record_keeps_its_name_after_the_welsh_name_changes(
    child, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _welsh_wording()
    parent = Client()
    parent.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    answer(
        parent,
        ask(child, alice, "online_sessions", capture=capture),
        {"online_sessions": "granted"},
        capture=capture,
    )
    record = ConsentRecord.objects.get()
    assert record.language == "cy"

    # The admin renames the consent in Welsh only.
    sessions = ConsentType.objects.get(code="online_sessions")
    current = sessions.current_version()
    records.consent_type_update(
        consent_type=sessions,
        by=User.objects.get(email="alice@alder.test"),
        explanation=current.explanation,
        validity_months=sessions.validity_months,
        active=True,
        name_cy=NEW_NAME,
        explanation_cy=current.explanation_cy,
    )
    newest = sessions.current_version()
    assert newest.pk != current.pk
    assert newest.name_cy == NEW_NAME

    record = ConsentRecord.objects.select_related("type_version").get()
    shown = services.shown_content(ConsentRequest.objects.get(), record.type_version, "cy")
    assert shown["consent_shown"] == OLD_NAME
    assert record.shown_sha256 == services._sha256(shown)

    receipt = parent.get("/consent/receipt/").content.decode()
    assert OLD_NAME in receipt
    assert NEW_NAME not in receipt
    text = _words(parent.get("/consent/receipt/receipt.pdf").content)
    assert OLD_NAME in text
    assert NEW_NAME not in text


def _rename_in_welsh() -> None:
    sessions = ConsentType.objects.get(code="online_sessions")
    current = sessions.current_version()
    records.consent_type_update(
        consent_type=sessions,
        by=User.objects.get(email="alice@alder.test"),
        explanation=current.explanation,
        validity_months=sessions.validity_months,
        active=True,
        name_cy=NEW_NAME,
        explanation_cy=current.explanation_cy,
    )


def test_a_request_sent_before_a_welsh_rename_asks_in_the_words_it_was_sent_with(
    child, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _welsh_wording()
    link = ask(child, alice, "online_sessions", capture=capture)
    _rename_in_welsh()
    parent = Client()
    parent.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    page = parent.get(link, follow=True).content.decode()
    assert OLD_NAME in page
    assert NEW_NAME not in page


def test_the_same_welsh_name_again_makes_no_new_version(child, alice):
    _welsh_wording()
    sessions = ConsentType.objects.get(code="online_sessions")
    current = sessions.current_version()
    assert current.name_cy == OLD_NAME
    # The same Welsh name again makes no new version.
    records.consent_type_update(
        consent_type=sessions,
        by=User.objects.get(email="alice@alder.test"),
        explanation=current.explanation,
        validity_months=sessions.validity_months,
        active=True,
        name_cy=OLD_NAME,
        explanation_cy=current.explanation_cy,
    )
    assert sessions.current_version().pk == current.pk
    assert services.shown_name(current, "cy") == OLD_NAME
    assert services.shown_name(current, "en-gb") == "Online sessions and video calls"


def test_a_welsh_reader_meets_the_name_rule_in_welsh(
    child, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    parent = Client()
    parent.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    refused = answer(
        parent,
        ask(child, alice, "online_sessions", capture=capture),
        {"online_sessions": "granted"},
        capture=capture,
        typed_name="Huda\tHassan",
    )
    page = refused.content.decode()
    assert "Rhaid i enw fod ar un llinell" in page
    assert "A name must be on one line" not in page
    assert not ConsentRecord.objects.exists()


def test_a_used_link_is_refused_in_welsh_on_a_welsh_page():
    with translation.override("cy"), pytest.raises(ValidationError) as refused:
        services.consent_sign(
            token_digest=services.token_hash("not-a-link"),
            answers={},
            typed_name="Huda Hassan",
            relationship="mother",
            signature_png="",
            language="cy",
        )
    assert refused.value.messages == ["Mae'r ddolen hon wedi cael ei defnyddio'n barod."]
