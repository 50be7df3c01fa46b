from django.contrib import admin

from .models import Organization, OrganizationMember


class MemberInline(admin.TabularInline):
    model = OrganizationMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "acronym", "headquarters_country", "ecosoc_status", "verification_state"]
    list_filter = ["verification_state", "ecosoc_status"]
    search_fields = ["name", "acronym"]
    prepopulated_fields = {"slug": ["acronym"]}
    inlines = [MemberInline]
