"""The onboarding import: every row checked, and all or nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audit.models import AuditEvent
from children.models import Child, ChildGuardian, Guardian
from tests.auth import force_verified_login
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "child_first_name,child_last_name,preferred_name,date_of_birth,active_from,"
    "communication_needs,guardian_name,guardian_email,guardian_phone,relationship,"
    "parental_responsibility,preferred_contact\n"
)
GOOD_ROWS = [
    "Mia,Khan,,2016-05-01,2026-09-01,Prefers chat,Aisha Khan,aisha@example.test,,mother,yes,email",
    "Mia,Khan,,2016-05-01,2026-09-01,Prefers chat,Omar Khan,omar@example.test,"
    "07700 900123,father,yes,phone",
    "Zak,Khan,,01/02/2019,,,Aisha Khan,AISHA@example.test,,mother,yes,email",
    "Lily,Ward,Lil,2014-11-30,,,Pat Ward,,07700 900456,grandmother,no,text",
]


def upload(client: Client, text: str, name: str = "children.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post("/children/import/", {"file": SimpleUploadedFile(name, data)})


@pytest.fixture
def as_dana(client: Client, dana) -> Client:
    force_verified_login(client, dana)
    return client


def test_a_good_file_imports_children_guardians_and_links(as_dana: Client, dana) -> None:
    response = upload(as_dana, HEADER + "\n".join(GOOD_ROWS) + "\n")
    assert response.status_code == 302
    assert Child.objects.count() == 3
    # Aisha is one guardian of two siblings; emails match whatever their case.
    assert Guardian.objects.count() == 3
    assert ChildGuardian.objects.count() == 4
    mia = Child.objects.get(first_name="Mia")
    assert sorted(mia.guardian_links.values_list("relationship", flat=True)) == [
        "father",
        "mother",
    ]
    assert Child.objects.get(first_name="Lily").preferred_name == "Lil"
    event = AuditEvent.objects.get(action="children.imported")
    assert event.details == {
        "rows": 4,
        "children": sorted(Child.objects.values_list("pk", flat=True)),
        "guardians": sorted(Guardian.objects.values_list("pk", flat=True)),
    }


def test_one_bad_row_saves_nothing_and_names_the_row_and_problem(as_dana: Client) -> None:
    rows = [*GOOD_ROWS]
    rows[2] = "Zak,Khan,,31/02/2019,,,Aisha Khan,not-an-email,,mother,maybe,email"
    response = upload(as_dana, HEADER + "\n".join(rows) + "\n")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported: 3 problems to fix" in html, html
    table = html[html.index('id="import-problems"') :]
    assert (
        '<td class="govuk-table__cell">4</td><td class="govuk-table__cell">date_of_birth</td>'
        in table
    )
    assert "guardian_email" in table
    assert "Enter a valid email address." in table
    assert "Write yes or no." in table
    assert not Child.objects.exists()
    assert not Guardian.objects.exists()


def test_a_child_already_in_safeguard_is_an_error(as_dana: Client, organisation) -> None:
    ChildFactory(
        organisation=organisation, first_name="Lily", last_name="Ward", date_of_birth="2014-11-30"
    )
    response = upload(as_dana, HEADER + "\n".join(GOOD_ROWS) + "\n")
    assert "This child is already in Safeguard." in response.content.decode()
    assert Child.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (HEADER, "children.csv", "The file has no rows under the column names."),
        ("name,dob\nMia,2016-05-01\n", "children.csv", "missing: child_first_name"),
        (HEADER.replace("relationship", "relation"), "children.csv", "Unknown columns: relation"),
        (b"\xff\xfe\x00M\x00i", "children.csv", "not a CSV saved as UTF-8"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "children.csv", "not a CSV saved as UTF-8"),
        (HEADER + GOOD_ROWS[0] + ",extra\n", "children.csv", "more cells than there are columns"),
        (HEADER + GOOD_ROWS[0], "children.xlsx", "Choose a file ending in .csv."),
    ],
)
def test_files_that_are_not_right_are_explained(as_dana: Client, content, name, message):
    response = upload(as_dana, content, name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Child.objects.exists()


def test_a_spreadsheet_saved_with_a_byte_order_mark_imports(as_dana: Client) -> None:
    response = upload(as_dana, ("\ufeff" + HEADER + GOOD_ROWS[3] + "\n").encode("utf-8"))
    assert response.status_code == 302
    assert Child.objects.get().first_name == "Lily"


def test_row_numbers_match_the_spreadsheet_when_a_cell_spans_lines(as_dana: Client) -> None:
    rows = [
        'Mia,Khan,,2016-05-01,,"Likes chat.\nNeeds breaks.",'
        "Aisha Khan,a@example.test,,mother,yes,email",
        "Zak,Khan,,2099-01-01,,,Aisha Khan,a@example.test,,mother,yes,email",
    ]
    html = upload(as_dana, HEADER + "\n".join(rows) + "\n").content.decode()
    # Mia's record spans rows 2-3 of the spreadsheet, so Zak is on row 4.
    assert (
        '<td class="govuk-table__cell">4</td><td class="govuk-table__cell">date_of_birth</td>'
        in html
    )
    assert "The date cannot be in the future." in html


def test_spreadsheet_formulas_and_bad_phones_are_refused(as_dana: Client) -> None:
    row = '=HYPERLINK("x"),Khan,,2016-05-01,,,Pat,,=cmd|calc,carer,no,phone'
    html = upload(as_dana, HEADER + row + "\n").content.decode()
    assert "Cannot start with =, +, - or @." in html
    assert "Enter a phone number using digits" in html
    assert not Child.objects.exists()


def test_a_malformed_csv_is_explained_not_crashed(as_dana: Client) -> None:
    huge = "x" * 140_000
    html = upload(as_dana, HEADER + f'Mia,"{huge}",,2016-05-01\n').content.decode()
    assert "could not be read as CSV" in html


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        (GOOD_ROWS[:1], "Imported 1 child and 1 guardian."),
        (GOOD_ROWS[:2], "Imported 1 child and 2 guardians."),
        (GOOD_ROWS[:3], "Imported 2 children and 2 guardians."),
    ],
)
def test_the_message_counts_children_and_guardians(as_dana: Client, rows, said) -> None:
    response = upload(as_dana, HEADER + "\n".join(rows) + "\n")
    assert response.status_code == 302
    page = as_dana.get(response["Location"]).content.decode()
    assert said in page
