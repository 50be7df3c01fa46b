"""What every page pays: the roles read in one query, the layout's parts rendered once per kind of reader."""

import re

import pytest
from django.contrib.auth.models import Group
from django.template import Context, Template, TemplateSyntaxError
from django.test import override_settings

from organizations.models import OrganizationMember
from portal import rules as portal_rules
from portal.models import User
from portal.roles import Roles, has_mfa, roles_of
from umbrella.models import Coordinator

pytestmark = pytest.mark.django_db

DIRECTORY = "/organizations/"


def nav(response) -> list[str]:
    """The navigation's links, as (address, text)."""
    page = response.content.decode()
    header = page[page.index("<header") : page.index("</header>")]
    return re.findall(r'<a href="([^"]+)"[^>]*>(?:<strong>)?([^<]+)', header)


def language_form(response) -> tuple[str, str]:
    """The language switcher's CSRF token and the address it returns to."""
    page = response.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    next_address = re.search(r'<input name="next" type="hidden" value="([^"]*)">', page).group(1)
    return token, next_address


PUBLIC_NAV = [
    ("/", "NGO engagement portal"),
    ("/sessions/", "Sessions"),
    ("/organizations/", "Directory"),
    ("/umbrella/", "Umbrella bodies"),
]
ACCOUNT_NAV = [
    ("/accounts/email/", "E-mail addresses"),
    ("/accounts/password/change/", "Password"),
    ("/accounts/2fa/", "Two-factor authentication"),
    ("/accounts/logout/", "Sign out"),
]
FOCAL_POINT_NAV = [("/sessions/registrations/", "My registrations"), ("/events/applications/", "My side events")]
CSU_NAV = [("/organizations/review/", "Verification"), ("/staff/activity/", "Activity log")]


# --- Roles: one query, once per request -------------------------------------------------------------------------


def test_roles_of_reads_the_three_roles_in_one_query(csu_officer, bodies, organizations, django_assert_num_queries):
    Coordinator.objects.create(body=bodies["alliance"], user=csu_officer)
    OrganizationMember.objects.create(organization=organizations["a"], user=csu_officer)
    person = User.objects.get(pk=csu_officer.pk)

    with django_assert_num_queries(1):
        first = roles_of(person)
    with django_assert_num_queries(0):
        again = roles_of(person)

    assert (first, again) == (Roles(csu_staff=True, coordinator=True, focal_point=True),) * 2


def test_roles_of_reads_in_one_query_for_each_persona(csu_officer, coordinators, focal_points, outsider, django_assert_num_queries):
    found = {}
    for name, user in [("csu", csu_officer), ("coordinator", coordinators["vngoc"]), ("focal point", focal_points["a"]), ("outsider", outsider)]:
        person = User.objects.get(pk=user.pk)
        with django_assert_num_queries(1):
            found[name] = roles_of(person)

    assert found == {
        "csu": Roles(csu_staff=True),
        "coordinator": Roles(coordinator=True),
        "focal point": Roles(focal_point=True),
        "outsider": Roles(),
    }


def test_the_first_role_asked_reads_every_role_and_mfa_in_one_query(focal_points, django_assert_num_queries):
    person = User.objects.get(pk=focal_points["a"].pk)
    with django_assert_num_queries(1):
        assert portal_rules.is_csu_staff(person) is False

    with django_assert_num_queries(0):
        roles = roles_of(person)
        answers = (portal_rules.is_csu_staff(person), portal_rules.is_coordinator(person), portal_rules.is_focal_point(person))
        mfa = has_mfa(person)

    assert (roles, answers, mfa) == (Roles(focal_point=True), (False, False, True), False)


def test_roles_of_a_person_deleted_meanwhile_are_none(outsider, django_assert_num_queries):
    person = User.objects.get(pk=outsider.pk)
    User.objects.filter(pk=outsider.pk).delete()

    with django_assert_num_queries(1):
        assert roles_of(person) == Roles()


def test_navigation_query_count_is_one_for_the_roles_at_1_and_many_memberships(
    client, focal_points, organizations, bodies, django_assert_num_queries
):
    """Session, the user with its roles; the directory is cached (the same for 1 and 3 memberships)."""
    person = focal_points["a"]
    client.force_login(person)
    client.get(DIRECTORY)
    with django_assert_num_queries(1):  # the login session with the user and its roles (portal.login_sessions)
        one = client.get(DIRECTORY)
    OrganizationMember.objects.create(organization=organizations["b"], user=person)
    Coordinator.objects.create(body=bodies["alliance"], user=person)
    client.get(DIRECTORY)
    with django_assert_num_queries(1):
        many = client.get(DIRECTORY)

    assert (nav(one), nav(many)) == (PUBLIC_NAV + FOCAL_POINT_NAV + ACCOUNT_NAV,) * 2


# --- The layout's parts: the same for everyone with the same roles, this request's own otherwise ------------------


def test_navigation_follows_the_roles_read_on_each_request(client, focal_points, csu_officer):
    """The navigation is kept per combination of roles, never per person: losing a role shows at once."""
    person = focal_points["a"]
    client.force_login(person)
    as_focal_point = nav(client.get(DIRECTORY))
    OrganizationMember.objects.filter(user=person).delete()
    without_membership = nav(client.get(DIRECTORY))
    client.force_login(csu_officer)
    as_csu = nav(client.get(DIRECTORY))
    Group.objects.get(name="CSU staff").user_set.remove(csu_officer)
    without_group = nav(client.get(DIRECTORY))
    client.logout()
    public = nav(client.get(DIRECTORY))

    assert as_focal_point == PUBLIC_NAV + FOCAL_POINT_NAV + ACCOUNT_NAV
    assert without_membership == PUBLIC_NAV + ACCOUNT_NAV
    assert as_csu == PUBLIC_NAV + CSU_NAV + ACCOUNT_NAV
    assert without_group == PUBLIC_NAV + ACCOUNT_NAV
    assert public == PUBLIC_NAV + [("/accounts/login/", "Sign in"), ("/accounts/signup/", "Sign up")]


def test_navigation_is_in_the_language_asked(client):
    english = nav(client.get(DIRECTORY))
    french = nav(client.get(DIRECTORY, HTTP_ACCEPT_LANGUAGE="fr"))
    english_again = nav(client.get(DIRECTORY))

    assert english == english_again == PUBLIC_NAV + [("/accounts/login/", "Sign in"), ("/accounts/signup/", "Sign up")]
    assert french[0] == ("/", "Portail de collaboration avec les ONG")
    assert french[1:4] == [("/sessions/", "Sessions"), ("/organizations/", "Répertoire"), ("/umbrella/", "Organisations faîtières")]
    assert 'lang="fr" selected' in client.get(DIRECTORY, HTTP_ACCEPT_LANGUAGE="fr").content.decode()


def test_language_form_holds_this_requests_token_and_address(client):
    other = type(client)()
    first_token, first_next = language_form(client.get(DIRECTORY, {"q": "<harm>"}))
    second_token, second_next = language_form(other.get("/sessions/"))

    assert (first_next, second_next) == ("/organizations/?q=%3Charm%3E", "/sessions/")
    assert first_token != second_token
    assert client.cookies["csrftoken"].value != other.cookies["csrftoken"].value


def test_messages_are_shown_to_their_reader_only(client, csu_officer):
    """A staff page asks CSU staff without MFA to set it up, in a message: that reader's alone, and once."""
    other = type(client)()
    other.get(DIRECTORY)
    client.force_login(csu_officer)
    mine = client.get("/organizations/review/", follow=True).content.decode()
    theirs = other.get(DIRECTORY).content.decode()
    mine_again = client.get(DIRECTORY).content.decode()
    warning = "Staff pages need two-factor authentication."

    assert (warning in mine, warning in theirs, warning in mine_again) == (True, False, False)


# --- The samefor tag ----------------------------------------------------------------------------------------------


LAYOUT = "{% load portal_layout %}{% samefor kind %}{{ kind }}:{{ shown }}{% endsamefor %}"


def test_samefor_renders_once_per_combination_of_its_values():
    template = Template(LAYOUT)
    rendered = [template.render(Context({"kind": kind, "shown": shown})) for kind, shown in [(1, "a"), (1, "b"), (2, "c"), (1, "d")]]

    assert rendered == ["1:a", "1:a", "2:c", "1:a"]


def test_samefor_forgets_when_settings_change():
    template = Template(LAYOUT)
    before = template.render(Context({"kind": True, "shown": "a"}))
    with override_settings(STATIC_URL="/elsewhere/"):
        during = template.render(Context({"kind": True, "shown": "b"}))

    assert (before, during) == ("True:a", "True:b")


def test_samefor_refuses_a_value_of_another_kind(outsider):
    with pytest.raises(TemplateSyntaxError):
        Template(LAYOUT).render(Context({"kind": outsider, "shown": "a"}))


def test_samefor_refuses_a_block_inside():
    with pytest.raises(TemplateSyntaxError):
        Template("{% load portal_layout %}{% samefor %}{% block title %}{% endblock %}{% endsamefor %}")
