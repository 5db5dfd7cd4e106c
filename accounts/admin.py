from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .admin_forms import UserAdminChangeForm, UserAdminCreationForm
from .models import Invitation, Membership, OutboxEmail, User

admin.site.site_header = "Portail GEN – administration"
admin.site.site_title = "Portail GEN – administration"
admin.site.index_title = _("Administration du portail")


class ReadOnlyAdminMixin:
    """For audit rows and computed results: shown to those allowed to view them, never added,
    changed or deleted through the admin (auditors rely on them being untouched)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        opts = self.model._meta
        names = [field.name for field in opts.concrete_fields if field.name != "id"]
        names += [field.name for field in opts.many_to_many]
        extra = [name for name in super().get_readonly_fields(request, obj) if name not in names]
        return names + extra


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["organisation"]
    readonly_fields = ["created_at"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("full_name",)}),
        (
            _("Rôles et droits"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_committee_member",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Dates"), {"fields": ("email_verified_at", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = (
        "email",
        "full_name",
        "is_staff",
        "is_committee_member",
        "is_active",
        "email_verified_at",
        "date_joined",
    )
    list_filter = ("is_staff", "is_committee_member", "is_active", "is_superuser", "groups")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    date_hierarchy = "date_joined"
    readonly_fields = ("last_login",)
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "user__full_name", "organisation__name", "organisation__siret")
    list_select_related = ("user", "organisation")
    autocomplete_fields = ("user", "organisation")
    date_hierarchy = "created_at"


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("to", "subject", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("to", "subject")
    date_hierarchy = "created_at"


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are created by members through the portal, which sends the token by email
    (only its hash is stored): here they can be looked at, or deleted to revoke them."""

    list_display = ("email", "organisation", "invited_by", "created_at", "accepted_at")
    list_filter = (("accepted_at", admin.EmptyFieldListFilter),)
    search_fields = ("email", "organisation__name", "organisation__siret")
    list_select_related = ("organisation", "invited_by")
    date_hierarchy = "created_at"
    fields = ("organisation", "email", "invited_by", "created_at", "accepted_at", "accepted_by")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
