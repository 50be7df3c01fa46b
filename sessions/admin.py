from django.contrib import admin

from .models import Commission, Session


@admin.register(Commission)
class CommissionAdmin(admin.ModelAdmin):
    list_display = ["abbreviation", "name", "code", "admission_rule"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["title", "commission", "number", "start_date", "end_date", "registration_closes"]
    list_filter = ["commission", "format"]
    date_hierarchy = "start_date"
