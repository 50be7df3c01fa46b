"""Roles come from data: the CSU staff group, coordinator links, organization membership."""

import pytest
from django.contrib.auth.models import AnonymousUser

from organizations.rules import is_focal_point_of
from portal.roles import Roles, roles_of
from umbrella.rules import is_coordinator_of

pytestmark = pytest.mark.django_db


def test_each_persona_has_exactly_its_roles(csu_officer, coordinators, focal_points, outsider):
    assert roles_of(csu_officer) == Roles(csu_staff=True)
    assert roles_of(coordinators["vngoc"]) == Roles(coordinator=True)
    assert roles_of(focal_points["a"]) == Roles(focal_point=True)
    assert roles_of(outsider) == Roles()
    assert roles_of(AnonymousUser()) == Roles()


def test_one_person_can_hold_several_roles(csu_officer, bodies, organizations):
    from organizations.models import OrganizationMember
    from umbrella.models import Coordinator

    Coordinator.objects.create(body=bodies["alliance"], user=csu_officer)
    OrganizationMember.objects.create(organization=organizations["a"], user=csu_officer)

    assert roles_of(csu_officer) == Roles(csu_staff=True, coordinator=True, focal_point=True)


def test_coordinator_of_is_limited_to_their_own_body(coordinators, bodies):
    vngoc = coordinators["vngoc"]

    assert [slug for slug, body in bodies.items() if is_coordinator_of(vngoc, body)] == ["vngoc"]
    assert is_coordinator_of(AnonymousUser(), bodies["vngoc"]) is False


def test_focal_point_of_is_limited_to_their_own_organization(focal_points, organizations):
    assert [key for key, org in organizations.items() if is_focal_point_of(focal_points["a"], org)] == ["a"]
    assert [key for key, org in organizations.items() if is_focal_point_of(focal_points["b"], org)] == ["b"]


def test_activity_log_permission_is_for_csu_only(csu_officer, coordinators, focal_points, outsider):
    people = [csu_officer, coordinators["vngoc"], focal_points["a"], outsider, AnonymousUser()]

    assert [person.has_perm("portal.view_activity_log") for person in people] == [True, False, False, False, False]
