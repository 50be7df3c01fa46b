"""Template context shared by every page."""

from django.utils.functional import SimpleLazyObject

from .roles import roles_of


def roles(request):
    return {"roles": SimpleLazyObject(lambda: roles_of(request.user))}
