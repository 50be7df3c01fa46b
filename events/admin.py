from django.contrib import admin

from .models import Room, SideEvent, Slot


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "venue", "capacity"]
    list_filter = ["venue"]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["session", "starts_at", "ends_at"]
    list_filter = ["session"]


@admin.register(SideEvent)
class SideEventAdmin(admin.ModelAdmin):
    # Read-mostly: decisions go through the portal's pages, which log them and tell the organizers.
    list_display = ["title", "session", "lead_organization", "status", "room", "slot"]
    list_filter = ["session", "status"]
    search_fields = ["title", "lead_organization__name"]
    readonly_fields = ["status", "room", "slot", "uid", "sequence", "decided_by", "decided_at", "submitted_at"]
