"""Follow-up situations are ordinary data; indicator runs, their values and the open-data
files are computed results published as a whole, so the admin only shows them."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdminMixin

from .models import FollowUp, IndicatorRun, IndicatorValue, OpenDataFile, TrainingCounts


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ("enrollment", "milestone", "situation", "observed_on", "source", "updated_at")
    list_filter = ("milestone", "situation", "source")
    search_fields = ("enrollment__learner__learner_ref", "enrollment__training__code")
    list_select_related = ("enrollment__learner",)
    autocomplete_fields = ("enrollment",)
    date_hierarchy = "updated_at"
    readonly_fields = ("updated_at",)


@admin.register(IndicatorRun)
class IndicatorRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "as_of",
        "status",
        "progress",
        "definition_version",
        "trigger",
        "requested_by",
        "created_at",
        "finished_at",
        "published_at",
    )
    list_filter = ("status", "definition_version", "trigger")
    search_fields = ("definition_version", "trigger", "requested_by__email", "error")
    list_select_related = ("requested_by",)
    date_hierarchy = "created_at"


@admin.register(IndicatorValue)
class IndicatorValueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "period",
        "dimension",
        "key",
        "numerator",
        "denominator",
        "value",
        "coverage",
        "run",
    )
    list_filter = ("period", "dimension")
    search_fields = ("code", "period", "key")
    list_select_related = ("run",)
    # A run holds thousands of values: counting them all on every page is wasted work.
    show_full_result_count = False


@admin.register(TrainingCounts)
class TrainingCountsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("key", "period", "entrants", "exits", "known", "rate", "run")
    list_filter = ("period",)
    search_fields = ("key",)
    list_select_related = ("run",)
    # Tens of thousands of rows per run at a large network, as for the values.
    show_full_result_count = False


@admin.register(OpenDataFile)
class OpenDataFileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "content_type", "rows", "as_of", "modified_at", "checked_at")
    search_fields = ("name",)
    # The content may be megabytes: the list never loads it.
    list_select_related = False
    readonly_fields = ("name", "content_type", "sha256", "rows", "as_of", "modified_at")
    exclude = ("content",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")
