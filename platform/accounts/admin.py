from django.contrib import admin, messages

from accounts.models import (
    Licence,
    Membership,
    Organisation,
    OrganisationApiKey,
    PersonalAccessToken,
)
from accounts.tokens import token_revoke


class LicenceInline(admin.TabularInline):
    model = Licence
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


class ApiKeyInline(admin.TabularInline):
    model = OrganisationApiKey
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [LicenceInline, MembershipInline, ApiKeyInline]


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):
    """Admins see and revoke people's tokens. They cannot add one (the secret is shown once, to
    the person who makes it, on their account page) nor change one, and the hash is not shown."""

    list_display = [
        "user",
        "name",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["user__username", "user__email", "name", "prefix"]
    list_select_related = ["user"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: the row says what existed and when it stopped

    def has_revoke_permission(self, request):
        return request.user.has_perm("accounts.change_personalaccesstoken")

    @admin.action(description="Revoke selected personal access tokens", permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        revoked = sum(
            token_revoke(actor=request.user, token=token)
            for token in queryset.select_related("user")
        )
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)
