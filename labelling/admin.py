"""Admin screens of the labelling workflow.

State changes of a dossier (submission, correction requests, decisions) go through the
services, which write the audit trail: the admin shows those fields read-only. Audit rows
(transitions, deadline extensions, conflict declarations) are never added, changed or
deleted here. Attachments are uploaded only through the portal, whose upload checks their
content, and are downloaded only through its permission-checked view: the admin lists their
metadata and never links to the stored file.
"""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin

from .models import (
    AdmissibilityCheck,
    Attachment,
    Call,
    CommitteeMeeting,
    ConflictDeclaration,
    Criterion,
    DeadlineExtension,
    Decision,
    Dossier,
    DossierTransition,
    DraftReminder,
    Review,
    ReviewAssignment,
    ReviewScore,
)


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ("position", "title", "weight", "max_score", "eliminatory", "guidance")


class DeadlineExtensionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DeadlineExtension
    extra = 0
    fields = ("previous_closes_at", "new_closes_at", "reason", "created_by", "created_at")


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "title",
        "opens_at",
        "closes_at",
        "is_published",
        "is_historical",
        "label_duration_months",
    )
    list_filter = ("is_published", "is_historical")
    search_fields = ("reference", "title")
    date_hierarchy = "opens_at"
    readonly_fields = ("last_dossier_number", "created_at")
    inlines = [CriterionInline, DeadlineExtensionInline]


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ("title", "call", "position", "weight", "max_score", "eliminatory")
    list_filter = ("eliminatory", "call")
    search_fields = ("title", "call__reference")
    list_select_related = ("call",)
    autocomplete_fields = ("call",)


@admin.register(DeadlineExtension)
class DeadlineExtensionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("call", "previous_closes_at", "new_closes_at", "created_by", "created_at")
    list_filter = ("call",)
    search_fields = ("call__reference", "reason", "created_by__email")
    list_select_related = ("call", "created_by")
    date_hierarchy = "created_at"


class DossierTransitionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DossierTransition
    extra = 0
    fields = ("at", "from_state", "to_state", "action", "actor", "reason", "is_public")


class AttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ("kind", "original_name", "content_type", "size", "uploaded_by", "uploaded_at")


class ReviewAssignmentInline(admin.TabularInline):
    model = ReviewAssignment
    fk_name = "dossier"
    extra = 0
    fields = ("member", "assigned_by", "assigned_at")
    readonly_fields = ("assigned_at",)
    autocomplete_fields = ("member", "assigned_by")


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "organisation",
        "call",
        "training_title",
        "state",
        "correction_requested",
        "submitted_at",
    )
    list_filter = ("state", "correction_requested", "call", "region_code")
    search_fields = (
        "reference",
        "training_title",
        "organisation__name",
        "organisation__siret",
        "call__reference",
    )
    list_select_related = ("organisation", "call")
    autocomplete_fields = ("call", "organisation", "created_by", "existing_training")
    date_hierarchy = "created_at"
    readonly_fields = (
        "state",
        "correction_requested",
        "reference",
        "submitted_at",
        "content_sha256",
        "created_at",
        "updated_at",
    )
    inlines = [ReviewAssignmentInline, AttachmentInline, DossierTransitionInline]


@admin.register(DossierTransition)
class DossierTransitionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("dossier", "from_state", "to_state", "action", "actor", "at", "is_public")
    list_filter = ("to_state", "action", "is_public")
    search_fields = ("dossier__reference", "dossier__organisation__name", "actor__email", "reason")
    list_select_related = ("dossier__organisation", "actor")
    date_hierarchy = "at"


@admin.register(DraftReminder)
class DraftReminderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A log of reminders already sent: editing it would silence or repeat a reminder."""

    list_display = ("dossier", "kind", "sent_at")
    list_filter = ("kind",)
    search_fields = ("dossier__reference", "dossier__organisation__name", "dossier__training_title")
    list_select_related = ("dossier__organisation",)
    date_hierarchy = "sent_at"


@admin.register(AdmissibilityCheck)
class AdmissibilityCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Checklist passes are only ever added, by staff through the portal: the history of who
    checked what is kept as it was written."""

    list_display = ("dossier", "is_complete", "checked_by", "checked_at")
    list_filter = ("is_complete",)
    search_fields = ("dossier__reference", "dossier__organisation__name", "checked_by__email")
    list_select_related = ("dossier__organisation", "checked_by")
    date_hierarchy = "checked_at"


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = (
        "original_name",
        "dossier",
        "kind",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    )
    list_filter = ("kind", "content_type")
    search_fields = ("original_name", "sha256", "dossier__reference", "dossier__organisation__name")
    list_select_related = ("dossier__organisation", "uploaded_by")
    date_hierarchy = "uploaded_at"
    # No `file`: the admin would render a link to the storage, which is private.
    fields = (
        "dossier",
        "kind",
        "original_name",
        "stored_name",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    )
    readonly_fields = fields

    @admin.display(description=_("fichier stocké"))
    def stored_name(self, obj: Attachment) -> str:
        return obj.file.name

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(admin.ModelAdmin):
    list_display = ("dossier", "member", "assigned_by", "assigned_at", "has_review")
    list_filter = ("dossier__call",)
    search_fields = ("dossier__reference", "member__email", "member__full_name")
    list_select_related = ("dossier__organisation", "member", "assigned_by", "review")
    autocomplete_fields = ("dossier", "member", "assigned_by")
    date_hierarchy = "assigned_at"

    @admin.display(description=_("évaluation rendue"), boolean=True)
    def has_review(self, obj: ReviewAssignment) -> bool:
        review = getattr(obj, "review", None)
        return bool(review and review.submitted_at)


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("member", "call", "dossier", "declared_at")
    list_filter = ("call",)
    search_fields = (
        "member__email",
        "member__full_name",
        "dossier__reference",
        "organisations",
        "sirets",
    )
    list_select_related = ("member", "call", "dossier__organisation")
    date_hierarchy = "declared_at"


class ReviewScoreInline(admin.TabularInline):
    model = ReviewScore
    extra = 0
    fields = ("criterion", "score")
    autocomplete_fields = ("criterion",)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("assignment", "recommendation", "submitted_at", "updated_at")
    list_filter = ("recommendation", "assignment__dossier__call")
    search_fields = (
        "assignment__dossier__reference",
        "assignment__member__email",
        "assignment__member__full_name",
    )
    list_select_related = ("assignment__dossier__organisation", "assignment__member")
    autocomplete_fields = ("assignment",)
    readonly_fields = ("updated_at",)
    inlines = [ReviewScoreInline]


@admin.register(ReviewScore)
class ReviewScoreAdmin(admin.ModelAdmin):
    list_display = ("review", "criterion", "score")
    search_fields = ("review__assignment__dossier__reference", "criterion__title")
    list_select_related = (
        "review__assignment__dossier__organisation",
        "review__assignment__member",
        "criterion",
    )
    autocomplete_fields = ("review", "criterion")


@admin.register(CommitteeMeeting)
class CommitteeMeetingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "call", "date", "location", "quorum", "present_count")
    list_filter = ("call",)
    search_fields = ("call__reference", "location", "minutes")
    list_select_related = ("call",)
    autocomplete_fields = ("call", "members_present", "agenda", "created_by")
    date_hierarchy = "date"
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_present_count=Count("members_present", distinct=True))
        )

    @admin.display(description=_("membres présents"), ordering="_present_count")
    def present_count(self, obj: CommitteeMeeting) -> int:
        return obj._present_count


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ("dossier", "outcome", "meeting", "decided_by", "decided_at")
    list_filter = ("outcome", "dossier__call")
    search_fields = ("dossier__reference", "dossier__organisation__name", "reason")
    list_select_related = ("dossier__organisation", "meeting__call", "decided_by")
    autocomplete_fields = ("dossier", "meeting", "decided_by")
    date_hierarchy = "decided_at"
