from django.contrib import admin

from accounts.models import Membership
from outcomes.open_data.services import open_data_refresh_on_commit

from .models import Label, Organisation, Session, Training


class OpenDataRefreshMixin:
    """Admin edits bypass the services: like them, ask for the open-data files to be
    regenerated once the admin's transaction commits (inlines included)."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        open_data_refresh_on_commit()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        open_data_refresh_on_commit()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        open_data_refresh_on_commit()


class OrganisationMembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "organisation"
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]


@admin.register(Organisation)
class OrganisationAdmin(OpenDataRefreshMixin, admin.ModelAdmin):
    list_display = ("name", "siret", "city", "department_code", "region_code", "created_at")
    list_filter = ("region_code",)
    search_fields = ("name", "siret", "city", "commune_code")
    date_hierarchy = "created_at"
    inlines = [OrganisationMembershipInline]


class LabelInline(admin.TabularInline):
    model = Label
    fk_name = "training"
    extra = 0
    fields = ("call", "decision", "start_date", "end_date", "status", "withdrawal_reason")
    autocomplete_fields = ["call", "decision"]


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    fields = ("start_date", "end_date", "capacity", "place")


@admin.register(Training)
class TrainingAdmin(OpenDataRefreshMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "title",
        "organisation",
        "duration_months",
        "is_free",
        "site_qpv",
        "department_code",
        "region_code",
    )
    list_filter = ("is_free", "site_qpv", "region_code")
    search_fields = ("code", "title", "organisation__name", "organisation__siret")
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation",)
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "updated_at")
    inlines = [LabelInline, SessionInline]


@admin.register(Label)
class LabelAdmin(OpenDataRefreshMixin, admin.ModelAdmin):
    list_display = ("training", "call", "start_date", "end_date", "status", "withdrawn_at")
    list_filter = ("status", "call")
    search_fields = (
        "training__code",
        "training__title",
        "training__organisation__name",
        "training__organisation__siret",
    )
    list_select_related = ("training", "call")
    autocomplete_fields = ("training", "call", "decision", "withdrawn_by")
    date_hierarchy = "start_date"
    readonly_fields = ("created_at",)


@admin.register(Session)
class SessionAdmin(OpenDataRefreshMixin, admin.ModelAdmin):
    list_display = ("training", "start_date", "end_date", "capacity", "place")
    search_fields = ("training__code", "training__title", "place")
    list_select_related = ("training",)
    autocomplete_fields = ("training",)
    date_hierarchy = "start_date"
