from django.contrib import admin

from .models import Coordinator, UmbrellaBody


class CoordinatorInline(admin.TabularInline):
    model = Coordinator
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(UmbrellaBody)
class UmbrellaBodyAdmin(admin.ModelAdmin):
    list_display = ["name", "acronym", "founded"]
    filter_horizontal = ["commissions"]
    inlines = [CoordinatorInline]
