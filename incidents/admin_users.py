"""Users in the admin: an Administrator manages analysts, never the keys to everything.

Administrators hold the auth permissions, so Django's user admin would let them tick
``is_superuser`` (their own included) or put anyone in the Administrator group. Only a
superuser may grant either; an Administrator sees superusers and other Administrators
read-only, so that their passwords and rights cannot be changed from below either.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group

from .roles import ROLES

ADMINISTRATOR = ROLES["administrator"]
User = get_user_model()


def holds_the_keys(user):
    return user.is_superuser or user.groups.filter(name=ADMINISTRATOR).exists()


admin.site.unregister(User)


@admin.register(User)
class AnalystUserAdmin(UserAdmin):
    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and holds_the_keys(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and holds_the_keys(obj):
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.exclude(name=ADMINISTRATOR)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
