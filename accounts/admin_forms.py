"""Forms of the user admin: an email-based user has no username.

Django's own user forms name a `username` field in their Meta; these point at our model and
its email instead. Emails are stored lower-case (`accounts_user_email_lowercase`), so the
forms fold the case before Django's uniqueness check, which then also catches an address
that differs from an existing one only by its case.
"""

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from .models import User


class EmailFieldMixin:
    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class UserAdminCreationForm(EmailFieldMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")
        field_classes = {"email": forms.EmailField}


class UserAdminChangeForm(EmailFieldMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"email": forms.EmailField}
