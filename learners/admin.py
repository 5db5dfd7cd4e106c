"""Learners are pseudonymous (see docs/privacy.md): the admin shows the organisation's
reference and the statistical facts, and must never grow a name or contact column."""

from django.contrib import admin

from outcomes.models import FollowUp

from .models import Enrollment, ImportJob, Learner


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
    extra = 0
    fields = ("training", "session", "entry_date", "exit_date", "exit_reason")
    autocomplete_fields = ("training", "session")


@admin.register(Learner)
class LearnerAdmin(admin.ModelAdmin):
    list_display = ("learner_ref", "organisation", "sex", "birth_year", "created_at")
    list_filter = ("sex",)
    search_fields = ("learner_ref", "organisation__name", "organisation__siret")
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation",)
    date_hierarchy = "created_at"
    inlines = [EnrollmentInline]


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    extra = 0
    fields = ("milestone", "situation", "observed_on", "source")


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = (
        "learner",
        "training",
        "entry_date",
        "exit_date",
        "exit_reason",
        "situation_at_entry",
        "qpv_resident",
        "free_access",
    )
    list_filter = ("exit_reason", "situation_at_entry", "qpv_resident", "free_access")
    search_fields = ("learner__learner_ref", "training__code", "training__title")
    list_select_related = ("learner", "training")
    autocomplete_fields = ("learner", "training", "session")
    date_hierarchy = "entry_date"
    readonly_fields = ("updated_at",)
    inlines = [FollowUpInline]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Read-only: jobs are created by the upload pages and moved on by their tasks. The
    report is left out (it can hold 10,000 errors); the job page shows it."""

    list_display = ("pk", "kind", "filename", "organisation", "state", "created_at")
    list_filter = ("kind", "state")
    search_fields = ("filename", "organisation__name", "organisation__siret")
    list_select_related = ("organisation",)
    date_hierarchy = "created_at"
    fields = (
        "kind",
        "organisation",
        "filename",
        "file_size",
        "state",
        "percent",
        "rows_done",
        "rows_total",
        "counts",
        "error",
        "uploaded_by",
        "confirmed_by",
        "created_at",
        "started_at",
        "validated_at",
        "confirmed_at",
        "finished_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("report")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
