"""Forms of the network admin's pages: inviting, changing a member's role, and making keys."""

from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from qa_site.knowledge.forms import PageMultipleChoiceField
from qa_site.knowledge.models import TopicPage
from subscriptions.models import AccessKey, Invitation, Membership

MAX_ORIGINS = 20
ROLE_CHOICES = Membership.Role.choices
ROLE_MESSAGES = {"required": "Choose a role", "invalid_choice": "Choose a role from the list"}


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        max_length=Invitation._meta.get_field("email").max_length,
        help_text="We send them a link to join. It works for 14 days, and holds a seat until then.",
        error_messages={
            "required": "Enter the e-mail address of the person to invite",
            "invalid": "Enter an e-mail address in the correct format, like name@example.org",
            "max_length": "Enter an e-mail address of at most %(limit_value)d characters",
        },
    )
    role = forms.ChoiceField(
        label="Role", choices=ROLE_CHOICES, initial=Membership.Role.ADVISER, error_messages=ROLE_MESSAGES
    )
    organisation = forms.CharField(
        label="Organisation (optional)",
        max_length=Invitation._meta.get_field("organisation").max_length,
        required=False,
        help_text="The member organisation they advise for.",
        error_messages={"max_length": "Shorten the organisation's name to at most %(limit_value)d characters"},
    )

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES, error_messages=ROLE_MESSAGES)


_url = URLValidator(schemes=["http", "https"])


def parse_origin(line):
    """``line`` as a normalised origin ("https://www.example.org", "http://localhost:8000"), or None if it is not one.

    An origin is a scheme (https; http only for localhost), a host and an optional port: no path (a bare
    trailing slash is forgiven), no query, no fragment, no user name or password.
    """
    if any(character.isspace() for character in line) or "?" in line or "#" in line or len(line) > 200:
        return None
    try:
        parts = urlsplit(line)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number from 0 to 65535
        _url(line)
    except (ValueError, ValidationError):
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None or parts.path not in ("", "/"):
        return None
    scheme, host, port = parts.scheme.lower(), parts.hostname.lower(), parts.port
    if scheme == "http" and not _is_loopback(host):
        return None
    if ":" in host:
        host = f"[{host}]"
    # As browsers send it in the Origin header: the default port is left out.
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_loopback(host):
    """Plain http is only for testing a widget on one's own computer."""
    return host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost")


class KeyForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=AccessKey._meta.get_field("name").max_length,
        help_text="Where you will use it, e.g. “Members' website”.",
        error_messages={
            "required": "Enter a name for the key",
            "max_length": "Shorten the name to at most %(limit_value)d characters",
        },
    )
    kind = forms.ChoiceField(
        label="Kind",
        choices=AccessKey.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the kind of key",
            "invalid_choice": "Choose a kind of key your plan includes",
        },
    )
    topics = PageMultipleChoiceField(
        label="Topics (optional)",
        queryset=TopicPage.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only answers on the topics you tick; tick none for every topic.",
        error_messages={
            "invalid_choice": "Choose topics from the list",
            "invalid_pk_value": "Choose topics from the list",
            "invalid_list": "Choose topics from the list",
        },
    )
    allowed_origins = forms.CharField(
        label="Websites allowed to show the widget",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Widgets only: one website per line, as scheme and host only, e.g. https://www.example.org",
    )

    def __init__(self, *args, kinds, key=None, **kwargs):
        """A new key of one of ``kinds``, or (``key``) the settings of an existing key, whose kind stays."""
        if key is not None:
            kinds = [key.kind]
            kwargs["initial"] = {
                "name": key.name,
                "kind": key.kind,
                "topics": list(key.topic_ids),
                "allowed_origins": "\n".join(key.origins),
            }
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(value, label) for value, label in AccessKey.Kind.choices if value in kinds]
        self.fields["topics"].queryset = TopicPage.objects.live().order_by("title")
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0]
        if key is not None:
            self.fields["kind"].disabled = True
            if key.kind == AccessKey.Kind.FEED:
                del self.fields["allowed_origins"]

    def clean_allowed_origins(self):
        lines = [line.strip() for line in self.cleaned_data["allowed_origins"].splitlines() if line.strip()]
        if len(lines) > MAX_ORIGINS:
            raise ValidationError(f"List at most {MAX_ORIGINS} websites.")
        origins, errors = [], []
        for number, line in enumerate(lines, start=1):
            origin = parse_origin(line)
            shown = line if len(line) <= 60 else line[:57] + "…"
            if origin is None and line[:7].lower() == "http://" and parse_origin("https://" + line[7:]):
                errors.append(
                    f"Line {number} (“{shown}”) uses http://: websites must use https://. Plain http:// is only for "
                    "testing on your own computer (http://localhost)."
                )
            elif origin is None:
                errors.append(
                    f"Line {number} (“{shown}”) is not a website origin: write only http:// or https:// and the "
                    "host name, e.g. https://www.example.org, with no path after it."
                )
            elif origin not in origins:
                origins.append(origin)
        if errors:
            raise ValidationError(errors)
        return origins

    def clean(self):
        cleaned = super().clean()
        origins = cleaned.get("allowed_origins")
        if "allowed_origins" not in self.fields:
            return cleaned
        if cleaned.get("kind") == AccessKey.Kind.WIDGET and origins == []:
            self.add_error("allowed_origins", "List at least one website where the widget will be shown.")
        if cleaned.get("kind") == AccessKey.Kind.FEED and origins:
            self.add_error(
                "allowed_origins", "Feeds are read by feed readers, not shown on websites: leave this empty for a feed."
            )
        return cleaned


class WidgetForm(forms.Form):
    """How one widget looks: the configurator's choices (a GET form; bad values fall back to the defaults)."""

    topic = forms.ChoiceField(label="Topic", required=False)
    count = forms.IntegerField(label="Number of answers", min_value=1, max_value=20, initial=5)
    style = forms.ChoiceField(
        label="Style", choices=[("light", "Light"), ("dark", "Dark"), ("compact", "Compact")], initial="light"
    )
    variant = forms.ChoiceField(
        label="Embed with",
        choices=[
            ("script", "A script (recommended): fits your page"),
            ("iframe", "An iframe: for websites that allow no scripts"),
        ],
        initial="script",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, key, **kwargs):
        super().__init__(*args, **kwargs)
        topics = TopicPage.objects.live().order_by("title")
        if key.topic_ids:
            topics = topics.filter(pk__in=key.topic_ids)
        everything = "All the key's topics" if key.topic_ids else "All topics"
        self.fields["topic"].choices = [("", everything), *topics.values_list("slug", "title")]

    def chosen(self):
        """The chosen values, with the default for any missing or not valid."""
        values = {name: field.initial for name, field in self.fields.items()}
        values["topic"] = ""
        if self.is_bound:
            self.is_valid()  # cleaned_data then holds the valid values only
            values.update(self.cleaned_data)
        return values
