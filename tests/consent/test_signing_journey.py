"""The parent's signing journey: answers, a check of them, and the receipt
(page, PDF and email), in English and in Welsh."""

import base64
import datetime as dt
import io
import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from accounts.models import User
from consent import records, services
from consent.models import ConsentRecord, ConsentRequest, ConsentType
from policies import services as policy_services
from tests.consent import test_consent
from tests.consent.test_consent import answer, ask, drawn_signature
from tests.consent.test_parent_policies import approve, parents_code
from tests.pdf_text import pdf_text

child = test_consent.child
site = test_consent.site
consent_only = test_consent.consent_only

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


def _welsh_wording() -> None:
    """The admin writes Welsh for one consent, not for the other."""
    sessions = ConsentType.objects.get(code="online_sessions")
    current = sessions.current_version()
    records.consent_type_update(
        consent_type=sessions,
        by=User.objects.get(email="alice@alder.test"),
        explanation=current.explanation,
        validity_months=sessions.validity_months,
        active=True,
        name_cy="Sesiynau ar-lein a galwadau fideo",
        explanation_cy="Byddwn yn cynnal sesiynau drwy alwad fideo ddiogel.",
    )


def _open(parent: Client, link: str) -> str:
    return parent.get(link, follow=True).content.decode()


def _form(html: str, decision: str = "granted", **extra: str) -> dict[str, str]:
    form = {
        "typed_name": "Huda Hassan",
        "relationship": "mother",
        "confirms_responsibility": "on",
        **dict.fromkeys(re.findall(r'name="(item_\d+)"', html), decision),
        **dict.fromkeys(re.findall(r'name="(policy_\d+)"', html), "on"),
    }
    form.update(extra)
    return form


def _words(pdf: bytes) -> str:
    """The PDF's text with table cells' line breaks as spaces."""
    return " ".join(pdf_text(pdf).split())


def _images(pdf: bytes) -> list[object]:
    """Every image XObject drawn on any page."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        xobjects = page["/Resources"].get("/XObject") or {}
        for ref in xobjects.values():
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                found.append(obj)
    return found


# --- check your answers ---------------------------------------------------------------------


def test_answers_are_checked_then_changed_then_confirmed(
    child, alice, bob, organisation, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    code = parents_code(organisation, bob, capture)
    link = ask(child, alice, "online_sessions", "photos_online", capture=capture)
    parent = Client()
    html = _open(parent, link)
    signature = drawn_signature()
    form = _form(html, signature_png=signature)
    photos = ConsentType.objects.get(code="photos_online").current_version()
    form[f"item_{photos.pk}"] = "refused"

    answered = parent.post("/consent/sign/", form)
    assert answered.status_code == 302
    assert answered["Location"] == "/consent/sign/check/"
    assert not ConsentRecord.objects.exists()  # checking is not sending

    check = parent.get("/consent/sign/check/")
    page = check.content.decode()
    assert check.status_code == 200
    assert "Check your answers before sending them" in page
    assert re.search(
        r"Online sessions and video calls</dt>\s*<dd[^>]*data-decision=\"granted\">"
        r'<strong class="govuk-tag govuk-tag--green">Yes</strong> Yes, I agree',
        page,
    )
    assert re.search(
        r"Photos online and on social media</dt>\s*<dd[^>]*data-decision=\"refused\">"
        r'<strong class="govuk-tag govuk-tag--grey">No</strong> No, I do not agree',
        page,
    )
    assert "Code of conduct for parents and carers" in page
    assert code.label in page
    assert "Huda Hassan" in page
    assert "mother" in page
    assert f'src="{signature}"' in page
    assert 'href="/consent/sign/#id_typed_name"' in page
    assert "Confirm and send" in page
    assert not ConsentRecord.objects.exists()  # looking at it records nothing either

    # "Change" goes back to the form with every answer still there.
    again = parent.get("/consent/sign/").content.decode()
    assert 'value="Huda Hassan"' in again
    assert 'value="mother"' in again
    assert re.search(rf'name="item_{photos.pk}" type="radio" value="refused" checked', again)
    assert re.search(rf'name="policy_{code.pk}"[^>]*checked', again)
    assert signature in again  # the drawn signature is kept too

    # Changing one answer and continuing shows the new answer.
    form[f"item_{photos.pk}"] = "granted"
    parent.post("/consent/sign/", form)
    assert "No, I do not agree" not in parent.get("/consent/sign/check/").content.decode()

    with capture(execute=True):
        sent = parent.post("/consent/sign/check/")
    assert sent["Location"] == "/consent/receipt/"
    records = list(ConsentRecord.objects.order_by("pk"))
    assert [r.decision for r in records] == ["granted", "granted"]
    assert records[0].signature_png == signature
    # A second press of "Confirm and send" records nothing more.
    assert parent.post("/consent/sign/check/")["Location"] == "/consent/receipt/"
    assert ConsentRecord.objects.count() == 2


def test_the_check_page_without_answers_goes_back_to_the_form(
    child, alice, django_capture_on_commit_callbacks
):
    link = ask(child, alice, "voice_messages", capture=django_capture_on_commit_callbacks)
    parent = Client()
    _open(parent, link)
    assert parent.get("/consent/sign/check/")["Location"] == "/consent/sign/"
    assert parent.post("/consent/sign/check/")["Location"] == "/consent/sign/"
    assert not ConsentRecord.objects.exists()
    # Without any link at all: the link-gone page.
    assert Client().get("/consent/sign/check/").status_code == 404


def test_answers_kept_for_one_link_are_not_sent_with_another(
    child, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = ask(child, alice, "voice_messages", capture=capture)
    parent = Client()
    parent.post("/consent/sign/", _form(_open(parent, first)))
    # The same browser opens a second link: the first link's answers do not carry over.
    second = ask(child, alice, "recording", capture=capture)
    _open(parent, second)
    assert parent.get("/consent/sign/check/")["Location"] == "/consent/sign/"
    assert not ConsentRecord.objects.exists()


# --- errors that say what to do --------------------------------------------------------------


def test_errors_say_what_to_do_and_link_to_their_fields(
    child, alice, bob, organisation, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    code = parents_code(organisation, bob, capture)
    link = ask(child, alice, "online_sessions", capture=capture)
    parent = Client()
    _open(parent, link)
    version = ConsentType.objects.get(code="online_sessions").current_version()
    response = parent.post("/consent/sign/", {"signature_png": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    for anchor, message in (
        (f"id_item_{version.pk}_0", "Select yes if you agree to Online sessions and video calls"),
        (f"id_policy_{code.pk}", f"Tick to confirm you have read {code.policy.title}"),
        ("id_typed_name", "Enter your full name"),
        ("id_relationship", "Enter your relationship to the child"),
        ("id_confirms_responsibility", "Tick to confirm you have parental responsibility"),
    ):
        assert f'<a href="#{anchor}">{message}</a>' in page
        assert f'id="{anchor}"' in page  # the link lands on the field
    # Listed in the page's order: the questions first, then who is signing.
    summary = page[page.index("govuk-error-summary__list") :]
    assert summary.index("Select yes if you agree") < summary.index("Tick to confirm you have read")
    assert summary.index("Tick to confirm you have read") < summary.index("Enter your full name")
    assert not ConsentRecord.objects.exists()


def test_errors_are_in_welsh_for_a_welsh_reader(child, alice, django_capture_on_commit_callbacks):
    _welsh_wording()
    link = ask(child, alice, "online_sessions", capture=django_capture_on_commit_callbacks)
    parent = Client()
    parent.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    _open(parent, link)
    page = parent.post("/consent/sign/", {}).content.decode()
    assert "Mae problem" in page
    assert "Dewiswch ydw os ydych yn cytuno i Sesiynau ar-lein a galwadau fideo" in page
    assert "Rhowch eich enw llawn" in page
    assert "Ticiwch i gadarnhau bod gennych gyfrifoldeb rhiant" in page


@pytest.mark.parametrize(
    "posted",
    [
        "data:image/png;base64,iVBORw0KGgo=",  # a PNG's signature and nothing after
        "data:image/png;base64,not base64!",
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
        "gif",  # a GIF posted as if it were a PNG
    ],
)
def test_a_drawn_signature_that_is_not_a_png_is_a_field_error(
    child, alice, posted, django_capture_on_commit_callbacks
):
    if posted == "gif":
        out = io.BytesIO()
        Image.new("RGB", (20, 10), "white").save(out, format="GIF")
        posted = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
    link = ask(child, alice, "voice_messages", capture=django_capture_on_commit_callbacks)
    parent = Client()
    response = parent.post("/consent/sign/", _form(_open(parent, link), signature_png=posted))
    assert response.status_code == 200
    assert "Your drawn signature could not be read" in response.content.decode()
    assert 'href="#signature-error"' in response.content.decode()


# --- references ------------------------------------------------------------------------------


def test_each_receipt_gets_the_next_reference_shared_by_its_answers(
    child, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    parent = Client()
    answer(
        parent,
        ask(child, alice, "online_sessions", "recording", capture=capture),
        {"online_sessions": "granted", "recording": "refused"},
        capture=capture,
    )
    answer(
        Client(),
        ask(child, alice, "voice_messages", guardian_email="sami@example.test", capture=capture),
        {"voice_messages": "granted"},
        capture=capture,
    )
    by_guardian = {
        r.guardian.email: r.reference for r in ConsentRecord.objects.select_related("guardian")
    }
    assert set(ConsentRecord.objects.values_list("reference", flat=True)) == {
        f"CR-{YEAR}-0001",
        f"CR-{YEAR}-0002",
    }
    assert by_guardian["huda@example.test"] == f"CR-{YEAR}-0001"
    assert by_guardian["sami@example.test"] == f"CR-{YEAR}-0002"

    receipt = parent.get("/consent/receipt/").content.decode()
    assert re.search(rf'<strong class="safeguard-receipt-reference"[^>]*>CR-{YEAR}-0001<', receipt)
    record = ConsentRecord.objects.filter(reference=f"CR-{YEAR}-0001").first()
    # The SHA-256 is the receipt's fingerprint, not its reference.
    assert re.search(
        r"Receipt fingerprint \(SHA-256\): <code[^>]*>" + record.receipt_sha256, receipt
    )
    assert "Receipt reference (SHA-256)" not in receipt
    assert '<strong class="govuk-tag govuk-tag--green">Yes</strong> Yes, I agree' in receipt
    assert '<strong class="govuk-tag govuk-tag--grey">No</strong> No, I do not agree' in receipt
    # The receipt's hash covers its reference.
    content = services.receipt_content(list(ConsentRecord.objects.filter(guardian=record.guardian)))
    assert content["reference"] == f"CR-{YEAR}-0001"
    assert services._sha256(content) == record.receipt_sha256


# --- the receipt PDF and email ---------------------------------------------------------------


def test_the_receipt_pdf_shows_the_signature_the_policies_the_reference_and_the_form_words(
    child, alice, bob, organisation, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    code = parents_code(organisation, bob, capture)
    parent = Client()
    answer(
        parent,
        ask(child, alice, "online_sessions", "photos_online", capture=capture),
        {"online_sessions": "granted", "photos_online": "refused"},
        capture=capture,
        signature_png=drawn_signature(),
    )
    response = parent.get("/consent/receipt/receipt.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"consent-receipt-CR-{YEAR}-0001.pdf" in response["Content-Disposition"]
    assert "no-cache" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    pdf = response.content
    text = _words(pdf)
    assert f"CR-{YEAR}-0001" in text
    assert "Yes, I agree" in text
    assert "No, I do not agree" in text
    assert code.policy.title in text
    assert "Typed name: Huda Hassan" in text
    images = _images(pdf)
    assert len(images) == 1  # the drawn signature
    assert (images[0]["/Width"], images[0]["/Height"]) == (300, 100)
    # The receipt page links to it.
    assert 'href="/consent/receipt/receipt.pdf"' in parent.get("/consent/receipt/").content.decode()


def test_a_typed_name_alone_makes_a_receipt_without_an_image(
    child, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    parent = Client()
    answer(
        parent,
        ask(child, alice, "voice_messages", capture=capture),
        {"voice_messages": "granted"},
        capture=capture,
    )
    pdf = parent.get("/consent/receipt/receipt.pdf").content
    assert _images(pdf) == []
    assert "Typed name: Huda Hassan" in _words(pdf)


def test_only_the_browser_that_signed_can_fetch_the_receipt_pdf(
    child, alice, client_for, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    signer = Client()
    answer(
        signer,
        ask(child, alice, "voice_messages", capture=capture),
        {"voice_messages": "granted"},
        capture=capture,
    )
    assert signer.get("/consent/receipt/receipt.pdf").status_code == 200
    assert Client().get("/consent/receipt/receipt.pdf").status_code == 404
    # Staff of the organisation have no receipt in their session either.
    assert client_for(alice).get("/consent/receipt/receipt.pdf").status_code == 404
    # A browser that only opened a link, without signing, has none.
    opener = Client()
    _open(opener, ask(child, alice, "recording", capture=capture))
    assert opener.get("/consent/receipt/receipt.pdf").status_code == 404


def test_emails_name_the_organisation_never_the_child(
    child, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    link = ask(child, alice, "voice_messages", capture=capture)
    request_mail = mail.outbox[-1]
    assert "Alder Play Therapy" in request_mail.subject
    assert "Noor" not in request_mail.subject
    answer(Client(), link, {"voice_messages": "granted"}, capture=capture)
    receipt = mail.outbox[-1]
    assert receipt.subject == "Your consent receipt from Alder Play Therapy"
    assert "Noor" not in receipt.subject
    assert f"Your reference is CR-{YEAR}-0001" in receipt.body
    assert "Voice messages" in receipt.body or "voice" in receipt.body.lower()
    assert "Yes, I agree" in receipt.body
    name, pdf, kind = receipt.attachments[0]
    assert name == f"consent-receipt-CR-{YEAR}-0001.pdf"
    assert kind == "application/pdf"
    assert f"CR-{YEAR}-0001" in _words(pdf)


def test_a_welsh_organisation_asks_in_welsh(
    child, alice, organisation, django_capture_on_commit_callbacks
):
    organisation.parent_language = "cy"
    organisation.save(update_fields=["parent_language"])
    _welsh_wording()
    ask(
        child,
        alice,
        "online_sessions",
        "voice_messages",
        capture=django_capture_on_commit_callbacks,
    )
    request_mail = mail.outbox[-1]
    assert request_mail.subject == (
        "Atebwch os gwelwch yn dda: cais am ganiatâd gan Alder Play Therapy"
    )
    assert "Noor" not in request_mail.subject
    assert "Hoffai Alder Play Therapy gael eich caniatâd ysgrifenedig" in request_mail.body
    # The consent's Welsh name, as the organisation wrote it.
    assert "- Sesiynau ar-lein a galwadau fideo" in request_mail.body
    assert "- Negeseuon llais" in request_mail.body
    assert 'lang="cy"' in request_mail.alternatives[0][0]


# --- Welsh wording and the evidence ----------------------------------------------------------


def test_a_welsh_reader_signs_what_they_were_shown_in_welsh(
    child, alice, organisation, bob, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    draft = policy_services.policy_create(
        organisation=organisation,
        by=bob,
        title="Code of conduct for parents and carers",
        category="conduct_parents",
        body="Be kind to staff.",
        audience_parents=True,
    )
    policy_services.draft_update(
        draft=draft,
        by=bob,
        body="Be kind to staff.",
        body_cy="Byddwch yn garedig wrth y staff.",
        change_summary="Welsh",
    )
    approve(draft, bob, capture)
    _welsh_wording()
    organisation.parent_language = "cy"
    organisation.save(update_fields=["parent_language"])
    link = ask(child, alice, "online_sessions", "voice_messages", capture=capture)
    parent = Client()
    form_page = _open(parent, link)
    assert "Sesiynau ar-lein a galwadau fideo" in form_page
    assert "Byddwn yn cynnal sesiynau drwy alwad fideo ddiogel." in form_page
    assert "Byddwch yn garedig wrth y staff." in form_page  # the policy's Welsh
    assert "Ydw, rwy&#x27;n cytuno" in form_page or "Ydw, rwy'n cytuno" in form_page
    answer(
        parent,
        link,
        {"online_sessions": "granted", "voice_messages": "refused"},
        capture=capture,
        signature_png=drawn_signature(),
    )
    records = {r.consent_type.code: r for r in ConsentRecord.objects.select_related("consent_type")}
    assert {r.language for r in records.values()} == {"cy"}
    request = ConsentRequest.objects.get()
    sessions = records["online_sessions"]
    shown = services.shown_content(request, sessions.type_version, "cy")
    assert shown["language"] == "cy"
    assert shown["consent_shown"] == "Sesiynau ar-lein a galwadau fideo"
    assert shown["explanation_shown"] == "Byddwn yn cynnal sesiynau drwy alwad fideo ddiogel."
    assert sessions.shown_sha256 == services._sha256(shown)
    english = services.shown_content(request, sessions.type_version)
    assert "language" not in english
    assert sessions.shown_sha256 != services._sha256(english)
    # The default type's Welsh, as every organisation starts with it.
    voice = records["voice_messages"]
    voice_shown = services.shown_content(request, voice.type_version, "cy")
    assert voice_shown["consent_shown"] == "Negeseuon llais"
    assert voice.shown_sha256 == services._sha256(voice_shown)

    receipt = parent.get("/consent/receipt/").content.decode()
    assert (
        "Mae eich atebion wedi&#x27;u cadw" in receipt or "Mae eich atebion wedi'u cadw" in receipt
    )
    assert "Sesiynau ar-lein a galwadau fideo" in receipt
    text = _words(parent.get("/consent/receipt/receipt.pdf").content)
    assert "Derbynneb caniatâd" in text
    assert "Ydw, rwy'n cytuno" in text
    assert "Nac ydw, nid wyf yn cytuno" in text
    assert "Sesiynau ar-lein a galwadau fideo" in text
    assert "Byddwn yn cynnal sesiynau drwy alwad fideo ddiogel." in text
    receipt_mail = mail.outbox[-1]
    assert receipt_mail.subject == "Eich derbynneb caniatâd gan Alder Play Therapy"
    assert "Ydw, rwy'n cytuno" in receipt_mail.body


def test_an_english_page_keeps_the_old_shown_hash(child, alice, django_capture_on_commit_callbacks):
    """Records signed before Welsh existed still rehash: English adds no key."""
    capture = django_capture_on_commit_callbacks
    _welsh_wording()
    answer(
        Client(),
        ask(child, alice, "online_sessions", capture=capture),
        {"online_sessions": "granted"},
        capture=capture,
    )
    record = ConsentRecord.objects.get()
    assert record.language == "en-gb"
    shown = services.shown_content(ConsentRequest.objects.get(), record.type_version)
    assert set(shown) == {
        "organisation",
        "child",
        "consent",
        "wording_version",
        "explanation",
        "policy",
        "policy_sha256",
        "validity_months",
    }
    assert record.shown_sha256 == services._sha256(shown)


def test_a_receipt_language_switch_after_signing_keeps_the_signed_words(
    child, alice, django_capture_on_commit_callbacks
):
    """The PDF is in the language signed in, whatever the page is in later."""
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
    parent.cookies[settings.LANGUAGE_COOKIE_NAME] = "en-gb"
    text = _words(parent.get("/consent/receipt/receipt.pdf").content)
    assert "Ydw, rwy'n cytuno" in text
    assert ConsentRecord.objects.get().recorded_at > timezone.now() - dt.timedelta(minutes=5)


# --- the admin's consent type page -----------------------------------------------------------


def test_the_admin_writes_welsh_and_the_usual_set_on_the_consent_type_page(
    child, bob, alice, client_for
):
    voice = ConsentType.objects.get(code="voice_messages")
    first = voice.current_version()
    admin = client_for(bob)
    form = admin.get(f"/consent/types/{voice.pk}/edit/").content.decode()
    assert 'name="name_cy"' in form
    assert 'name="explanation_cy"' in form
    assert 'name="asked_by_default"' in form
    base = {"explanation": first.explanation, "validity_months": "12", "active": "on"}

    # Only the Welsh name changes: a new version all the same (what a Welsh reader agrees to).
    assert (
        admin.post(f"/consent/types/{voice.pk}/edit/", {**base, "name_cy": "Negeseuon llais"})[
            "Location"
        ]
        == "/consent/types/"
    )
    voice.refresh_from_db()
    assert voice.name_cy == "Negeseuon llais"
    assert voice.asked_by_default is False  # left unticked
    assert voice.versions.count() == 2

    admin.post(
        f"/consent/types/{voice.pk}/edit/",
        {
            **base,
            "name_cy": "Negeseuon llais",
            "explanation_cy": "Gallwn anfon negeseuon llais atoch chi.",
            "asked_by_default": "on",
        },
    )
    voice.refresh_from_db()
    latest = voice.current_version()
    assert voice.versions.count() == 3
    assert latest.explanation_cy == "Gallwn anfon negeseuon llais atoch chi."
    assert latest.explanation == first.explanation
    assert voice.asked_by_default is True
    # Saving the same words again makes no new version.
    admin.post(
        f"/consent/types/{voice.pk}/edit/",
        {
            **base,
            "name_cy": "Negeseuon llais",
            "explanation_cy": "Gallwn anfon negeseuon llais atoch chi.",
            "asked_by_default": "on",
        },
    )
    assert voice.versions.count() == 3
    listing = admin.get("/consent/types/").content.decode()
    assert "Negeseuon llais" in listing
