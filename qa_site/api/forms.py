from django import forms

from .models import Scope


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What will use it, e.g. “Our case-management system”.",
        error_messages={
            "required": "Give the token a name, such as the system that will use it",
            "max_length": "Shorten the name to at most %(limit_value)d characters (it has %(show_value)d)",
        },
    )
    scopes = forms.MultipleChoiceField(
        label="What it may do",
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one thing the token may do",
            "invalid_choice": "Choose what the token may do from the options given",
        },
    )

    # A value of the page that showed the form: the same form sent again (a reload of the page that showed the new
    # token, a second click) makes no second token.
    once = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the token a name, such as the system that will use it")
        return name
