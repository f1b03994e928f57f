from django import forms

CONFIRMATION_PHRASE = "delete my account"


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form: people are named, not just addresses."""

    first_name = forms.CharField(
        max_length=150,
        label="First name",
        error_messages={
            "required": "Enter your first name",
            "max_length": "Shorten your first name to at most %(limit_value)d characters",
        },
    )
    last_name = forms.CharField(
        max_length=150,
        label="Last name",
        error_messages={
            "required": "Enter your last name",
            "max_length": "Shorten your last name to at most %(limit_value)d characters",
        },
    )

    def signup(self, request, user):
        user.first_name = self.cleaned_data["first_name"].strip()
        user.last_name = self.cleaned_data["last_name"].strip()
        user.save(update_fields=["first_name", "last_name"])


class DeleteAccountForm(forms.Form):
    """Deleting an account asks for the current password and a typed confirmation."""

    password = forms.CharField(
        label="Your current password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your current password"},
    )
    confirmation = forms.CharField(
        label="Type “delete my account” to confirm",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": f"Type “{CONFIRMATION_PHRASE}” to confirm"},
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your current password.")
        return password

    def clean_confirmation(self):
        typed = " ".join(self.cleaned_data["confirmation"].split()).casefold()
        if typed != CONFIRMATION_PHRASE:
            raise forms.ValidationError(f"Type “{CONFIRMATION_PHRASE}” to confirm that you want to delete it.")
        return typed
