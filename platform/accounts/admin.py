from django.contrib import admin

from accounts.models import Licence, Membership, Organisation, OrganisationApiKey


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
