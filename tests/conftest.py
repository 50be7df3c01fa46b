"""Shared fixtures: the fixed personas every test uses."""

import os

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group

# One Chromium for the whole run, shared by every browser test module: a session fixture
# imported into each module would start a second Playwright, which cannot run in one thread.
from tests.fixtures_services import browser_page, chromium  # noqa: E402,F401  (fixtures)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery-staple"


def make_user(email: str, **extra):
    from portal.models import User

    user = User.objects.create_user(email=email, password=PASSWORD, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def give_totp(user) -> str:
    """Give a user a TOTP authenticator, as if they had set it up; returns its secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def current_totp_code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    return format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))


@pytest.fixture(autouse=True)
def _english_by_default():
    """Start every test in English: a request in another language leaves it active in the thread."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _isolate_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def commissions(db):
    from sessions.enums import AdmissionRule
    from sessions.models import Commission

    return {
        code: Commission.objects.create(code=code, abbreviation=abbr, name=name, admission_rule=rule)
        for code, abbr, name, rule in [
            ("cnd", "CND", "Commission on Narcotic Drugs", AdmissionRule.ECOSOC_REQUIRED),
            ("ccpcj", "CCPCJ", "Commission on Crime Prevention and Criminal Justice", AdmissionRule.ECOSOC_REQUIRED),
            ("cosp", "UNCAC COSP", "Conference of the States Parties to the UNCAC", AdmissionRule.RULE_17),
        ]
    }


@pytest.fixture
def bodies(db, commissions):
    from umbrella.models import UmbrellaBody

    vngoc = UmbrellaBody.objects.create(name="Vienna NGO Committee on Drugs", acronym="VNGOC", slug="vngoc", founded=1983)
    vngoc.commissions.add(commissions["cnd"])
    alliance = UmbrellaBody.objects.create(
        name="Alliance of NGOs on Crime Prevention and Criminal Justice", acronym="Alliance", slug="alliance", founded=1972
    )
    alliance.commissions.add(commissions["ccpcj"])
    coalition = UmbrellaBody.objects.create(name="UNCAC Coalition", acronym="UNCAC Coalition", slug="uncac-coalition", founded=2006)
    coalition.commissions.add(commissions["cosp"])
    return {"vngoc": vngoc, "alliance": alliance, "uncac-coalition": coalition}


@pytest.fixture
def csu_officer(db):
    user = make_user("officer@unodc.test", full_name="Clara Officer")
    user.groups.add(Group.objects.get_or_create(name=settings.CSU_STAFF_GROUP)[0])
    return user


@pytest.fixture
def coordinators(db, bodies):
    from umbrella.models import Coordinator

    people = {}
    for slug, body in bodies.items():
        user = make_user(f"coordinator@{slug}.test", full_name=f"Coordinator of {body.acronym}")
        Coordinator.objects.create(body=body, user=user)
        people[slug] = user
    return people


@pytest.fixture
def organizations(db):
    from organizations.enums import VerificationState
    from organizations.models import Organization

    return {
        "a": Organization.objects.create(name="Harm Reduction Alliance", acronym="HRA", slug="hra", headquarters_country="KE", verification_state=VerificationState.VERIFIED),
        "b": Organization.objects.create(name="Prison Reform Network", acronym="PRN", slug="prn", headquarters_country="BR", verification_state=VerificationState.VERIFIED),
    }


@pytest.fixture
def focal_points(db, organizations):
    from organizations.models import OrganizationMember

    people = {}
    for key, organization in organizations.items():
        user = make_user(f"focal@{organization.slug}.test", full_name=f"Focal point of {organization.acronym}")
        OrganizationMember.objects.create(organization=organization, user=user)
        people[key] = user
    return people


@pytest.fixture
def outsider(db):
    return make_user("outsider@example.test", full_name="Olga Outsider")


@pytest.fixture
def thematic_areas(db):
    """The seeded thematic areas (a data migration adds them; transactional tests flush them)."""
    import importlib

    from django.utils.text import slugify

    from organizations.models import ThematicArea

    seed = importlib.import_module("organizations.migrations.0004_thematic_areas_and_search_indexes")
    for name in seed.THEMATIC_AREAS:
        ThematicArea.objects.get_or_create(slug=slugify(name), defaults={"name": name})
    return {area.slug: area for area in ThematicArea.objects.all()}
