"""A parent reads and answers in Welsh on a 360 px phone: the organisation's own
Welsh wording, the signature drawn with the mouse, the check page, the receipt
and its PDF read back; then a withdrawal (its email in Welsh) and a later Yes.
Every parent page is checked with axe and for sideways scrolling, in English
and in Welsh, switched with the page's own English/Cymraeg switch."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.core import mail
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, pgettext
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from accounts.models import Organisation, User
from children import services as caseload
from children.models import Child, Guardian
from consent import records, services
from consent.models import ConsentRecord, ConsentType, GuardianAccess
from consent.signature import readable
from policies import services as policy_services
from tests.e2e.test_consent_browser import PHONE, no_serious_violations
from tests.factories import ChildFactory
from tests.pdf_text import pdf_text

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIGNING = "consent signing"
# The admin's own Welsh for two of the default consents (circumflexes included:
# the PDF's font must draw them).
WELSH = {
    "online_sessions": (
        "Sesiynau ar-lein a galwadau fideo",
        "Bydd y therapydd yn cwrdd â'ch plentyn dros alwad fideo ddiogel. Ni fyddwn yn "
        "recordio'r sesiwn, a gallwch chi fod yn yr ystafell.",
    ),
    "photos_online": (
        "Lluniau ar-lein ac ar y cyfryngau cymdeithasol",
        "Efallai y byddwn yn rhannu lluniau o waith celf eich plentyn ar ein gwefan. "
        "Ni fydd ŵyneb na enw llawn eich plentyn i'w weld.",
    ),
}


def cy(message: str, context: str = "") -> str:
    """The Welsh the page should show: from the app's own catalogue, and never
    the English left in place (which would make a Welsh assertion pass in English)."""
    with translation.override("cy"):
        text = pgettext(context, message) if context else gettext(message)
    assert text != message, f"no Welsh for {message!r}"
    return text


def in_welsh(value, format_string: str) -> str:
    with translation.override("cy"):
        return formats.date_format(timezone.localtime(value), format_string)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def welcoming(page: Page) -> None:
    """Readable on the phone with no sideways scrolling, and no serious or critical
    axe violations."""
    # The document's own width, not window.innerWidth: a mobile viewport widens
    # innerWidth to fit what overflows, so comparing with it hides the overflow.
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 360:
        # Name what sticks out: the elements reaching furthest past the right edge.
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .map(e => [Math.round(e.getBoundingClientRect().right),
                           e.tagName + '.' + e.className])
                .filter(([right]) => right > 360).sort((a, b) => b[0] - a[0]).slice(0, 6)"""
        )
        raise AssertionError(f"{page.url} is {width}px wide on a 360px phone: {wide}")
    no_serious_violations(page)


def switch(page: Page, to: str) -> None:
    """Press the page's own language switch and wait for the page to come back in it."""
    page.get_by_role("button", name="Cymraeg" if to == "cy" else "English", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "cy" if to == "cy" else "en-GB")


def welcoming_in_both(page: Page, now: str) -> None:
    """Checks the page in the language it is in, switches, checks it in the other
    one, and switches back."""
    other = "en" if now == "cy" else "cy"
    welcoming(page)
    switch(page, other)
    welcoming(page)
    switch(page, now)


def phone_page(browser: Browser) -> Page:
    page = browser.new_context(**PHONE).new_page()
    page.set_default_timeout(20_000)
    return page


def welsh_wording(organisation: Organisation, admin: User) -> dict[str, ConsentType]:
    """The admin writes Welsh names and explanations, as the consent type page does."""
    services.consent_types_ensure(organisation=organisation)
    types = {}
    for code, (name_cy, explanation_cy) in WELSH.items():
        consent_type = ConsentType.objects.get(organisation=organisation, code=code)
        records.consent_type_update(
            consent_type=consent_type,
            by=admin,
            explanation=consent_type.current_version().explanation,
            validity_months=consent_type.validity_months,
            active=True,
            name_cy=name_cy,
            explanation_cy=explanation_cy,
        )
        types[code] = consent_type
    return types


def family(organisation: Organisation, dana: User) -> tuple[Child, Guardian]:
    child = ChildFactory(organisation=organisation, first_name="Noor", last_name="Hassan")
    guardian = caseload.guardian_add(
        child=child,
        by=dana,
        full_name="Huda Hassan",
        email="huda@example.test",
        phone="",
        preferred_contact="email",
        relationship="mother",
        parental_responsibility=True,
    ).guardian
    return child, guardian


def emailed_link(kind: str) -> str:
    """The newest link of this kind ("c" to answer, "m" to manage) in an email to Huda."""
    bodies = [m.body for m in mail.outbox if m.to == ["huda@example.test"]]
    links = [
        found.group(1)
        for body in bodies
        if (found := re.search(rf"(http://\S+/{kind}/\S+/)", body))
    ]
    assert links, f"no /{kind}/ link emailed to Huda"
    return links[-1]


def test_a_parent_answers_in_welsh_and_keeps_the_receipt(
    browser: Browser, live_server, settings, organisation, bob, dana, alice
) -> None:
    settings.SITE_URL = live_server.url
    types = welsh_wording(organisation, bob)
    child, huda = family(organisation, dana)
    conduct = policy_services.version_approve(
        draft=policy_services.policy_create(
            organisation=organisation,
            by=bob,
            title="Code of conduct for parents and carers",
            category="conduct_parents",
            body="Be kind to staff and to other families.",
            audience_parents=True,
        ),
        by=bob,
        approved_on=timezone.localdate(),
        approved_by_name="The trustees",
    )
    mail.outbox.clear()
    services.consent_request_send(
        child=child, guardians=[huda], consent_types=list(types.values()), by=alice
    )

    # The link from the real email, on a small phone; the service's default is English.
    phone = phone_page(browser)
    phone.goto(emailed_link("c"))
    expect(phone).to_have_url(f"{live_server.url}/consent/sign/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Consent for Noor Hassan")
    welcoming(phone)
    switch(phone, "cy")
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        cy("Consent for %(name)s", SIGNING) % {"name": "Noor Hassan"}
    )
    welcoming(phone)

    online_cy, online_explained = WELSH["online_sessions"]
    photos_cy, _photos_explained = WELSH["photos_online"]
    # The admin's Welsh, not the English wording, is what the parent reads.
    online = phone.get_by_role("group", name=online_cy)
    expect(online).to_contain_text(online_explained)
    online.get_by_label(cy("Yes, I agree", SIGNING)).check()
    phone.get_by_role("group", name=photos_cy).get_by_label(
        cy("No, I do not agree", SIGNING)
    ).check()
    phone.get_by_label(
        cy("I have read and agree to the %(policy)s (%(version)s)", SIGNING)
        % {"policy": conduct.policy.title, "version": conduct.label}
    ).check()
    phone.get_by_label(cy("Your full name", SIGNING)).fill("Huda Hassan")
    phone.get_by_label(cy("Your relationship to the child", SIGNING)).fill("mam")
    phone.get_by_label(cy("I have parental responsibility for this child", SIGNING)).check()
    canvas = phone.get_by_role("img", name=cy("Optional drawn signature", SIGNING))
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box is not None
    phone.mouse.move(box["x"] + 20, box["y"] + 40)
    phone.mouse.down()
    phone.mouse.move(box["x"] + 120, box["y"] + 90, steps=8)
    phone.mouse.move(box["x"] + 200, box["y"] + 50, steps=8)
    phone.mouse.up()
    drawn = phone.locator("[data-signature-field]").input_value()
    assert readable(drawn)
    phone.get_by_role("button", name=cy("Continue", SIGNING), exact=True).click()

    # Check your answers, in Welsh, with a Yes tag and a No tag.
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        cy("Check your answers before sending them", SIGNING)
    )
    answers = phone.locator("[data-answers] .govuk-summary-list__row")
    yes_row = answers.filter(has=phone.get_by_text(online_cy, exact=True))
    no_row = answers.filter(has=phone.get_by_text(photos_cy, exact=True))
    expect(yes_row.locator(".govuk-tag--green")).to_have_text(cy("Yes", SIGNING))
    expect(yes_row).to_contain_text(cy("Yes, I agree", SIGNING))
    expect(no_row.locator(".govuk-tag--grey")).to_have_text(cy("No", SIGNING))
    expect(no_row).to_contain_text(cy("No, I do not agree", SIGNING))
    expect(phone.get_by_role("img", name=cy("Your drawn signature", SIGNING))).to_be_visible()
    assert ConsentRecord.objects.count() == 0  # nothing recorded before "Confirm and send"
    welcoming_in_both(phone, "cy")
    # Back in Welsh, the answers kept across both switches.
    expect(yes_row.locator(".govuk-tag--green")).to_have_text(cy("Yes", SIGNING))
    phone.get_by_role("button", name=cy("Confirm and send", SIGNING)).click()

    # The receipt, with its reference.
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        cy("Your answers are saved", SIGNING)
    )
    reference = phone.locator("[data-reference]").inner_text().strip()
    assert re.fullmatch(rf"CR-{timezone.localdate().year}-\d{{4}}", reference), reference
    expect(phone.locator("[data-answers]")).to_contain_text(online_cy)
    expect(phone.locator("[data-answers]")).to_contain_text(photos_cy)
    signed = list(ConsentRecord.objects.filter(guardian=huda).order_by("pk"))
    assert [(r.consent_type.code, r.decision, r.language) for r in signed] == [
        ("online_sessions", "granted", "cy"),
        ("photos_online", "refused", "cy"),
    ]
    assert {r.reference for r in signed} == {reference}
    assert signed[0].signature_png == drawn

    # The PDF, downloaded through the page's own link and read back.
    with phone.expect_download() as download:
        phone.get_by_role("link", name=cy("Download your receipt (PDF)", SIGNING)).click()
    content = Path(download.value.path()).read_bytes()
    text = flat(pdf_text(content))
    for words in [
        cy("Consent receipt", SIGNING),
        reference,
        online_cy,
        online_explained,
        photos_cy,
        cy("Yes, I agree", SIGNING),
        "HudaHassan",
    ]:
        assert flat(words) in text, f"{words!r} is not in the receipt PDF"
    # The drawn signature is on a page, as an image the size that was drawn.
    images = [
        xobject
        for pdf_page in PdfReader(io.BytesIO(content)).pages
        for xobject in (pdf_page["/Resources"].get("/XObject") or {}).values()
        if xobject.get_object()["/Subtype"] == "/Image"
    ]
    assert len(images) == 1, "the receipt should carry the drawn signature (and no other image)"
    image = images[0].get_object()
    width, height = phone.evaluate(
        """src => new Promise(done => { const i = new Image();
            i.onload = () => done([i.naturalWidth, i.naturalHeight]); i.src = src; })""",
        drawn,
    )
    assert (image["/Width"], image["/Height"]) == (width, height)

    welcoming_in_both(phone, "cy")
    # The receipt leads to the parent's consents.
    sentence = cy(
        'You can see and withdraw your consents at any time: <a class="govuk-link" '
        'href="%(manage_url)s">manage your consents</a>. The email has a link to the same page.',
        SIGNING,
    )
    phone.get_by_role("link", name=re.search(r">([^<]+)</a>", sentence).group(1)).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(cy("Your consents"))


def signed_in_welsh(
    organisation: Organisation, bob: User, dana: User, alice: User
) -> tuple[Child, Guardian, dict[str, ConsentType]]:
    """Huda has answered a request in Welsh: Yes to online sessions, No to photos."""
    types = welsh_wording(organisation, bob)
    child, huda = family(organisation, dana)
    (request,) = services.consent_request_send(
        child=child, guardians=[huda], consent_types=list(types.values()), by=alice
    )
    request.refresh_from_db()  # the email's send wrote the token's hash
    services.consent_sign(
        token_digest=request.token_sha256,
        answers={
            version.pk: "granted" if version.consent_type.code == "online_sessions" else "refused"
            for version in request.items.select_related("consent_type")
        },
        typed_name="Huda Hassan",
        relationship="mam",
        signature_png="",
        language="cy",
    )
    return child, huda, types


def test_a_parent_withdraws_and_gives_again_in_welsh(
    browser: Browser, live_server, settings, organisation, bob, dana, alice
) -> None:
    settings.SITE_URL = live_server.url
    _child, huda, types = signed_in_welsh(organisation, bob, dana, alice)
    online = types["online_sessions"]
    online_cy, online_explained = WELSH["online_sessions"]

    # The manage link from the receipt email.
    phone = phone_page(browser)
    phone.goto(emailed_link("m"))
    expect(phone).to_have_url(f"{live_server.url}/consent/manage/continue/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("See your consents")
    welcoming(phone)
    switch(phone, "cy")
    expect(phone.get_by_role("heading", level=1)).to_have_text(cy("See your consents"))
    welcoming(phone)
    phone.get_by_role("button", name=cy("Continue"), exact=True).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(cy("Your consents"))
    welcoming_in_both(phone, "cy")

    row = phone.locator('[data-consent="online_sessions"]')
    expect(row).to_have_attribute("data-decision", "granted")
    mail.outbox.clear()
    row.get_by_role("link", name=re.compile(re.escape(cy("Withdraw")))).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        cy("Withdraw consent for %(first)s: %(consent)s?") % {"first": "Noor", "consent": online_cy}
    )
    welcoming_in_both(phone, "cy")
    phone.get_by_role("button", name=cy("Withdraw consent")).click()

    expect(
        phone.get_by_text(
            cy("Withdrawn: %(consent)s for %(child)s. Staff have been told.")
            % {"consent": online_cy, "child": "Noor"}
        )
    ).to_be_visible()
    withdrawn = ConsentRecord.objects.filter(consent_type=online, guardian=huda).latest("pk")
    assert (withdrawn.decision, withdrawn.language) == ("withdrawn", "cy")
    expect(row).to_have_attribute("data-decision", "withdrawn")
    expect(row.locator(".govuk-tag")).to_have_text(cy("Withdrawn"))
    expect(row).to_contain_text(
        cy("%(when)s, by %(by)s")
        % {"when": in_welsh(withdrawn.recorded_at, "j M Y"), "by": "Huda Hassan"}
    )

    # The confirmation, delivered through the outbox: in Welsh, naming the
    # organisation and never the child.
    (email,) = [m for m in mail.outbox if m.to == ["huda@example.test"]]
    assert email.subject == cy("Your withdrawal of consent at %(organisation)s") % {
        "organisation": organisation.name
    }
    assert "Noor" not in email.subject
    assert "Hassan" not in email.subject
    assert online_cy in email.body

    # A later Yes, on the page for giving it again.
    row.get_by_role("link", name=re.compile(re.escape(cy("Give consent")))).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        cy("Give consent for %(first)s: %(consent)s") % {"first": "Noor", "consent": online_cy}
    )
    expect(phone.locator(".safeguard-consent-wording")).to_contain_text(online_explained)
    expect(
        phone.get_by_text(
            cy("You withdrew this consent on %(on)s.")
            % {"on": in_welsh(withdrawn.recorded_at, "j F Y")}
        )
    ).to_be_visible()
    welcoming_in_both(phone, "cy")
    phone.get_by_label(cy("Your full name")).fill("Huda Hassan")
    phone.get_by_label(cy("I have read this and I give my consent")).check()
    phone.get_by_role("button", name=cy("Give consent"), exact=True).click()

    expect(
        phone.get_by_text(
            cy("Thank you: %(consent)s for %(child)s is given. Staff have been told.")
            % {"consent": online_cy, "child": "Noor"}
        )
    ).to_be_visible()
    expect(row).to_have_attribute("data-decision", "granted")
    expect(row.locator(".govuk-tag")).to_have_text(cy("Given"))

    # A new record beside the old ones: the withdrawal is still there.
    history = list(
        ConsentRecord.objects.filter(consent_type=online, guardian=huda).order_by(
            "recorded_at", "pk"
        )
    )
    assert [r.decision for r in history] == ["granted", "withdrawn", "granted"]
    assert history[1].pk == withdrawn.pk
    assert (history[2].language, history[2].typed_name) == ("cy", "Huda Hassan")


def test_the_link_pages_in_both_languages(
    browser: Browser, live_server, settings, organisation, bob, dana, alice
) -> None:
    """A new link asked for, the link sent, a dead link, an expired one and too
    many tries: each readable on the phone and free of axe violations, in both."""
    settings.SITE_URL = live_server.url

    # Asking for a new link: the same answer for any address.
    phone = phone_page(browser)
    phone.goto(f"{live_server.url}/consent/manage/new-link/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Get a new link to your consents")
    welcoming(phone)
    switch(phone, "cy")
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        cy("Get a new link to your consents")
    )
    welcoming(phone)
    phone.locator("main input[type=email]").fill("nobody@example.test")
    phone.get_by_role("button", name=cy("Email me a link")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(cy("Check your email"))
    welcoming(phone)
    # "Link sent" answers a POST: in English it is asked for again.
    switch(phone, "en")
    phone.locator("main input[type=email]").fill("nobody@example.test")
    phone.get_by_role("button", name="Email me a link").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your email")
    welcoming(phone)

    # A link that matches nothing.
    gone = phone_page(browser)
    response = gone.goto(f"{live_server.url}/m/not-a-real-link/")
    assert response is not None
    assert response.status == 404
    expect(gone.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    welcoming(gone)
    switch(gone, "cy")
    expect(gone.get_by_role("heading", level=1)).to_have_text(cy("This link no longer works"))
    welcoming(gone)

    # A real link unused for longer than the idle period.
    _child, _huda, _types = signed_in_welsh(organisation, bob, dana, alice)
    link = emailed_link("m")
    long_ago = timezone.now() - dt.timedelta(days=settings.CONSENT_MANAGE_LINK_IDLE_DAYS + 1)
    GuardianAccess.objects.update(created_at=long_ago, last_used_at=long_ago)
    expired = phone_page(browser)
    expired.goto(link)
    expect(expired.get_by_role("heading", level=1)).to_have_text("This link has expired")
    welcoming_in_both(expired, "en")

    # Too many dead links opened from one connection.
    settings.CONSENT_LINK_GUESS_RATE = "1/h"
    guesser = phone_page(browser)
    guesser.goto(f"{live_server.url}/m/not-real-either/")
    response = guesser.goto(f"{live_server.url}/m/still-not-real/")
    assert response is not None
    assert response.status == 429
    expect(guesser.get_by_role("heading", level=1)).to_have_text("Too many tries")
    welcoming(guesser)
    switch(guesser, "cy")
    expect(guesser.get_by_role("heading", level=1)).to_have_text(cy("Too many tries"))
    welcoming(guesser)
