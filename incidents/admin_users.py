"""Accounts in the admin: an Administrator manages analysts, never the keys to everything.

Administrators hold the auth permissions, so Django's own user and group admins would let
them tick ``is_superuser`` (their own included), put anyone in a group that manages
accounts, or make such a group (or rename the Administrator group and so unprotect its
members). Here only a superuser may grant superuser status or a group holding any
account-managing permission, or change groups at all; an account that holds such rights
is read-only to anyone but a superuser, its password included. What counts is what a
group or user may do, not its name.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

from .admin_search import BoundedSearchMixin

User = get_user_model()
#: Apps whose permissions manage accounts, logins and the admin log.
KEY_APPS = ("auth", "admin", "axes")


def holds_the_keys(user):
    """Whether ``user`` may manage accounts: a superuser, or anyone granted (directly or
    through a group) a permission of the apps that do."""
    if user.is_superuser:
        return True
    return any(permission.split(".")[0] in KEY_APPS for permission in user.get_all_permissions())


def groups_anyone_may_grant():
    return Group.objects.exclude(permissions__content_type__app_label__in=KEY_APPS)


class KeyHolderProtection:
    """Superusers only, for the accounts and groups that hold the keys."""

    def _protected(self, request, obj):
        return obj is not None and not request.user.is_superuser and holds_the_keys(obj)


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AnalystUserAdmin(BoundedSearchMixin, KeyHolderProtection, UserAdmin):
    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def has_change_permission(self, request, obj=None):
        if self._protected(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._protected(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = groups_anyone_may_grant()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Group)
class RoleGroupAdmin(BoundedSearchMixin, GroupAdmin):
    """The roles are made by migrations; only a superuser changes what a group may do."""

    def has_add_permission(self, request):
        return request.user.is_superuser and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


# The login records' admins, with the same bounded search.
for model, model_admin in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
        bounded = type(model_admin.__name__, (BoundedSearchMixin, model_admin), {})
        admin.site.register(model, bounded)
