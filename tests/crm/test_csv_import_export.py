"""autosales crm import / export: organizations and contacts from CSV, row errors naming the column, dry run,
duplicates avoided by email and domain, and an export that imports back unchanged."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from autosales.crm.imports import ImportRejected, contacts_import
from autosales.crm.models import Contact, Profile
from autosales.customers.models import Organization
from tests.factories import make_contact, make_organization, make_salesperson

pytestmark = pytest.mark.django_db

HEADER = "organization,organization_email,website,phone,segment,tags,salesperson,contact_name,contact_title,contact_email,contact_phone,contact_roles\n"


def csv_of(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


@pytest.fixture
def sally():
    return make_salesperson(username="sally")


def test_a_spreadsheet_of_people_becomes_organizations_and_contacts(sally):
    data = csv_of(
        'Harbor View Hotels,info@harborview.example,harborview.example,(312) 555-0100,Hospitality,"key account, hotels",sally,Elena Garcia,Purchasing manager,elena@harborview.example,312 555 0101,"purchaser,decision_maker"',
        "Harbor View Hotels,,,,,,,Kevin Ortiz,Receiving,kevin@harborview.example,,receiving",
        "Lakeview Marina,,,,,,,,,,,",
    )

    result = contacts_import(data=data)

    assert (result.organizations_created, result.contacts_created, result.errors) == (2, 2, [])
    harbor = Organization.objects.get(name="Harbor View Hotels")
    assert harbor.salesperson == sally and harbor.email == "info@harborview.example"
    assert harbor.crm_profile.phone == "+13125550100" and harbor.crm_profile.website == "https://harborview.example"
    assert sorted(harbor.crm_profile.tags.values_list("name", flat=True)) == ["hotels", "key account"]
    assert sorted(Contact.objects.filter(organization=harbor).values_list("name", flat=True)) == [
        "Elena Garcia",
        "Kevin Ortiz",
    ]


def test_importing_again_or_an_overlapping_file_adds_no_duplicates(sally):
    harbor = make_organization(name="Harbor View Hotel Group", salesperson=sally)
    Profile.objects.create(organization=harbor, website="https://www.harborview.example")
    make_contact(organization=harbor, name="Elena Garcia", email="elena@harborview.example")
    data = csv_of(
        # matched by the contact's email although the name differs
        "Harbor View Hotels,,,,,,,Elena Garcia,Director of purchasing,elena@harborview.example,,",
        # matched by domain: a new person at the same company
        "HVH,,,,,,,Frank Lee,,frank@harborview.example,,",
        # a free-mail address matches nobody by domain
        "Solo Painter,,,,,,,Sam Solo,,sam.solo@gmail.com,,",
    )

    first = contacts_import(data=data)
    second = contacts_import(data=data)

    assert (first.organizations_created, first.contacts_created, first.contacts_updated) == (1, 2, 1)
    assert (second.organizations_created, second.contacts_created, second.contacts_updated) == (0, 0, 0)
    assert Organization.objects.count() == 2
    assert Contact.objects.get(email="elena@harborview.example").title == "Director of purchasing"
    assert Contact.objects.get(email="frank@harborview.example").organization == harbor


def test_a_row_with_mistakes_names_row_and_column_and_nothing_is_imported():
    data = csv_of(
        "Good Co,,,,,,,Ann,,ann@good.example,,",
        "Bad Phone Co,,,12,,,,,,,,",
        "Bad Role Co,,,,,,,Bo,,bo@badrole.example,,chief",
        ",,,,,,,,,,,",
        "Bad Person Co,,,,,,nobody,,,,,",
    )

    with pytest.raises(ImportRejected) as rejected:
        contacts_import(data=data)

    assert [str(e) for e in rejected.value.errors] == [
        "row 3, phone: '12' is not a valid phone number.",
        "row 4, contact_roles: The roles must be one of: decision_maker, purchaser, accounts_payable, receiving, technical.",
        "row 6, salesperson: no active member of staff has this username",
    ]
    assert not Organization.objects.exists()

    result = contacts_import(data=data, skip_invalid=True)
    assert result.skipped == 3 and result.organizations_created == 1
    assert list(Organization.objects.values_list("name", flat=True)) == ["Good Co"]


def test_a_dry_run_counts_and_writes_nothing():
    result = contacts_import(data=csv_of("New Co,,,,,,,Ann,,ann@new.example,,"), dry_run=True)
    assert (result.organizations_created, result.contacts_created, result.dry_run) == (1, 1, True)
    assert not Organization.objects.exists() and not Contact.objects.exists()


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"name,email\nA,b\n", "missing column(s): organization"),
        ("organization\nCaf\xe9\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_a_file_that_is_not_right_is_refused_whole(data, reason):
    with pytest.raises(ImportRejected, match=reason.replace("(", r"\(").replace(")", r"\)")):
        contacts_import(data=data)


def test_a_salesperson_importing_as_themselves_cannot_touch_another_account(sally):
    other = make_organization(name="Redline Auto Body", salesperson=make_salesperson())
    data = f"organization_id,organization,industry\n{other.public_id},Redline Auto Body,Cars\n".encode()
    with pytest.raises(ImportRejected) as rejected:
        contacts_import(data=data, actor=sally)
    assert rejected.value.errors[0].column == "organization"


def test_the_export_imports_back_unchanged_through_the_command(sally, tmp_path):
    contacts_import(
        data=csv_of(
            "Harbor View Hotels,info@harborview.example,harborview.example,(312) 555-0100,Hospitality,key account,sally,Elena Garcia,Purchasing,elena@harborview.example,312 555 0101,purchaser",
            "Lakeview Marina,,,,,,,,,,,",
        )
    )
    exported = tmp_path / "crm.csv"
    call_command("crm", "export", "--output", str(exported), stderr=io.StringIO())
    text = exported.read_text()
    assert "Harbor View Hotels" in text and "+13125550101" in text and "Lakeview Marina" in text

    out = io.StringIO()
    call_command("crm", "import", str(exported), "--dry-run", stdout=out, stderr=io.StringIO())
    assert "2 rows; organizations: 0 would be created, 0 updated; contacts: 0 created, 0 updated" in out.getvalue()
    assert "dry run" in out.getvalue()

    with pytest.raises(CommandError, match="no such file"):
        call_command("crm", "import", str(tmp_path / "missing.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_of("Bad Co,,,12,,,,,,,,"))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("crm", "import", str(bad), stderr=err)
    assert "row 2, phone:" in err.getvalue()


CELLS = [
    "",
    "Acme",
    "acme.example",
    "ann@acme.example",
    "not-an-email",
    "(312) 555-0100",
    "12",
    "purchaser",
    "chief",
    "x" * 300,
    "Ünïcødé Co",
    '"quoted, comma"',
    "a,b",
    "nobody",
    "email",
    "pigeon",
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(CELLS), min_size=0, max_size=14), min_size=1, max_size=5),
    st.booleans(),
)
def test_any_rows_are_imported_or_refused_with_row_errors(rows, skip_invalid):
    text = HEADER + "".join(",".join(row) + "\n" for row in rows)
    try:
        result = contacts_import(data=text.encode(), skip_invalid=skip_invalid, dry_run=True)
    except ImportRejected as rejected:
        assert rejected.errors and all(e.row >= 2 and e.column and e.reason for e in rejected.errors)
    else:
        assert result.dry_run and (skip_invalid or not result.errors)
    assert not Organization.objects.exists()
