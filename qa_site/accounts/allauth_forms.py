"""allauth's sign-in, sign-up and password forms (settings.ACCOUNT_FORMS), labelled and worded as the rest of the site.

Each form keeps allauth's fields and behaviour and changes only what people read: labels, hints (no placeholders,
which vanish as one types) and, per field, messages that say what to do ("Enter your e-mail address"). The
adapter (adapter.py) words the errors allauth raises itself; passwords.py the password rules'.

A module of its own: allauth's forms module imports ``forms.SignupForm`` (ACCOUNT_SIGNUP_FORM_CLASS) as it loads.
"""

from allauth.account import forms as allauth_forms
from django.contrib.auth import password_validation

EMAIL_MESSAGES = {
    "required": "Enter your e-mail address",
    "invalid": "Enter an e-mail address in the correct format, like name@example.org",
}
PASSWORDS_DIFFER = "The passwords do not match: type the same password in both boxes"


def password_rules():
    """The password rules in force, as one hint: "At least 8 characters. Not like your name or e-mail address. …"."""
    return " ".join(password_validation.password_validators_help_texts())


def word(form, name, *, label=None, help_text=None, **messages):
    """Give ``form``'s field ``name`` the site's label, hint and error messages; drop allauth's placeholder."""
    field = form.fields.get(name)
    if field is None:
        return
    if label is not None:
        field.label = label
    if help_text is not None:
        field.help_text = help_text
    field.error_messages = {**field.error_messages, **messages}
    field.widget.attrs.pop("placeholder", None)


class PasswordsMatchMixin:
    """allauth says "You must type the same password each time." in code; say it in the site's words instead."""

    def clean(self):
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        differ = bool(first and second) and first != second
        cleaned = super().clean()
        if differ and self.has_error("password2"):
            self._errors["password2"] = self.error_class([PASSWORDS_DIFFER], renderer=self.renderer)
        return cleaned


class LoginForm(allauth_forms.LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        word(self, "login", label="E-mail address", **EMAIL_MESSAGES)
        word(self, "password", label="Password", help_text="", required="Enter your password")
        word(self, "remember", label="Remember me on this computer")


class SignupForm(PasswordsMatchMixin, allauth_forms.SignupForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        word(
            self,
            "email",
            label="E-mail address",
            help_text="We send a link to this address to check it is yours.",
            **EMAIL_MESSAGES,
        )
        word(self, "password1", label="Password", help_text=password_rules(), required="Enter a password")
        word(self, "password2", label="Confirm password", required="Enter your password again")


class AddEmailForm(allauth_forms.AddEmailForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        word(
            self,
            "email",
            label="E-mail address",
            required="Enter the e-mail address to add",
            invalid=EMAIL_MESSAGES["invalid"],
        )


class ResetPasswordForm(allauth_forms.ResetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        word(self, "email", label="E-mail address", **EMAIL_MESSAGES)


class ResetPasswordKeyForm(PasswordsMatchMixin, allauth_forms.ResetPasswordKeyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        word(self, "password1", label="New password", help_text=password_rules(), required="Enter a new password")
        word(self, "password2", label="Confirm new password", required="Enter your new password again")


class ChangePasswordForm(PasswordsMatchMixin, allauth_forms.ChangePasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        word(self, "oldpassword", label="Current password", help_text="", required="Enter your current password")
        word(self, "password1", label="New password", help_text=password_rules(), required="Enter a new password")
        word(self, "password2", label="Confirm new password", required="Enter your new password again")
