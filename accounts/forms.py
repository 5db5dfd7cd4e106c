from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.template import loader
from django.utils.translation import gettext_lazy as _

from .services import email_queue

EMAIL_HINT = _("Format attendu : nom@domaine.fr")


def _helper(submit_label) -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("submit", submit_label))
    return helper


def _email_field(field) -> None:
    field.label = _("Adresse électronique")
    field.help_text = EMAIL_HINT
    field.widget.input_type = "email"
    field.widget.attrs.update(
        {"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"}
    )


class LoginForm(AuthenticationForm):
    # One message for an unknown address and a wrong password: no account enumeration.
    error_messages = {
        "invalid_login": _(
            "Adresse électronique ou mot de passe incorrect. Vérifiez votre saisie, les "
            "majuscules comptent dans le mot de passe."
        ),
        "inactive": _(
            "Ce compte est désactivé. Contactez l’équipe de la Grande école du numérique."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _email_field(self.fields["username"])
        self.fields["password"].label = _("Mot de passe")
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.helper = _helper(_("Se connecter"))


class PortalPasswordResetForm(PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _email_field(self.fields["email"])
        self.helper = _helper(_("Recevoir un lien de réinitialisation"))

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        # Through the outbox like every portal email: sent after commit, retried if SMTP fails.
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        email_queue(to=to_email, subject=subject, body=body)


class PortalSetPasswordForm(SetPasswordForm):
    error_messages = {"password_mismatch": _("Les deux mots de passe ne sont pas identiques.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first, second = self.fields["new_password1"], self.fields["new_password2"]
        first.label = _("Nouveau mot de passe")
        # Django's default help is an HTML list, which cannot sit inside a DSFR label hint.
        first.help_text = _(
            "12 caractères au moins ; ni trop courant, ni uniquement composé de chiffres, "
            "ni trop proche de votre adresse électronique."
        )
        second.label = _("Confirmation du nouveau mot de passe")
        second.help_text = ""
        for field in (first, second):
            field.widget.attrs.update({"autocomplete": "new-password"})
        self.helper = _helper(_("Enregistrer le mot de passe"))
