"""The form a network fills in at ``/subscribe/`` to join."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError

from .joining import name_taken
from .models import JoinRequest, Plan

MAX_SEATS = 100_000


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, plan):
        return f"{plan.name}: £{plan.annual_price:,.0f} a year + VAT, {plan.included_seats} seats included"


class SubscribeForm(forms.Form):
    """Plan and start, the organisation and its billing contact, and (for visitors) the admin's new account."""

    plan = PlanChoiceField(
        label="Choose a plan",
        queryset=Plan.objects.filter(is_listed=True),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose a plan", "invalid_choice": "Choose one of the plans listed"},
    )
    start = forms.ChoiceField(
        label="How would you like to start?",
        choices=JoinRequest.Start.choices,
        widget=forms.RadioSelect,
        initial=JoinRequest.Start.TRIAL,
        error_messages={"required": "Choose a free trial or to be invoiced"},
    )
    seats = forms.IntegerField(
        label="Adviser seats",
        min_value=1,
        max_value=MAX_SEATS,
        required=False,
        help_text="Leave empty for the seats the plan includes. Extra seats are charged per seat, per year.",
        error_messages={"invalid": "Enter the number of seats as a whole number, like 25"},
    )
    name = forms.CharField(
        label="Organisation name",
        max_length=200,
        error_messages={"required": "Enter your organisation's name"},
    )
    website = forms.URLField(
        label="Website (optional)",
        required=False,
        max_length=200,
        assume_scheme="https",
        error_messages={"invalid": "Enter the website's address, like https://www.example.org"},
    )
    members_description = forms.CharField(
        label="Who your members are (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Roughly how many organisations, and what they do. It helps us approve the request quickly.",
    )
    billing_email = forms.EmailField(
        label="Billing e-mail address",
        max_length=254,
        help_text="Where we send invoices.",
        error_messages={
            "required": "Enter the e-mail address invoices should go to",
            "invalid": "Enter the billing e-mail address in the right format, like accounts@example.org",
        },
    )
    billing_address = forms.CharField(
        label="Billing address",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="As it should appear on invoices.",
        error_messages={"required": "Enter the address to put on invoices"},
    )
    vat_number = forms.CharField(label="VAT number (optional)", max_length=30, required=False)
    purchase_order = forms.CharField(
        label="Purchase order number (optional)",
        max_length=50,
        required=False,
        help_text="If your finance team needs one on the first invoice.",
    )
    first_name = forms.CharField(
        label="Your first name", max_length=150, error_messages={"required": "Enter your first name"}
    )
    last_name = forms.CharField(
        label="Your last name", max_length=150, error_messages={"required": "Enter your last name"}
    )
    email = forms.EmailField(
        label="Your e-mail address",
        max_length=254,
        help_text="You will sign in with it as your network's admin. We send a link to confirm it.",
        error_messages={
            "required": "Enter your e-mail address",
            "invalid": "Enter your e-mail address in the right format, like name@example.org",
        },
    )
    password = forms.CharField(
        label="Choose a password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Choose a password"},
    )

    ACCOUNT_FIELDS = ("first_name", "last_name", "email", "password")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user if user is not None and user.is_authenticated else None
        if self.user is not None:
            for name in self.ACCOUNT_FIELDS:
                del self.fields[name]
        else:
            self.fields["email"].widget.attrs["autocomplete"] = "email"

    def account_fields(self):
        return [self[name] for name in self.ACCOUNT_FIELDS if name in self.fields]

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        problem = name_taken(name)
        if problem:
            raise ValidationError(problem)
        return name

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise ValidationError(
                "There is already an account with this e-mail address: sign in first, then fill in this form"
            )
        return email

    def clean(self):
        cleaned = super().clean()
        plan, start, seats = cleaned.get("plan"), cleaned.get("start"), cleaned.get("seats")
        if plan is not None:
            if seats is None and "seats" not in self.errors:
                cleaned["seats"] = plan.included_seats
            elif seats is not None and seats < plan.included_seats:
                self.add_error(
                    "seats", f"The {plan.name} plan includes {plan.included_seats} seats: choose at least that many"
                )
            if start == JoinRequest.Start.TRIAL and not plan.trial_days:
                self.add_error("start", f"The {plan.name} plan has no free trial: choose to be invoiced")
        password = cleaned.get("password")
        if password and "email" in self.fields:
            candidate = get_user_model()(
                email=cleaned.get("email") or "",
                first_name=cleaned.get("first_name") or "",
                last_name=cleaned.get("last_name") or "",
            )
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as exc:
                self.add_error("password", exc)
        return cleaned
