"""The form for an endpoint: its address, a description, the events it is sent, and topics for answer.published."""

import ipaddress
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from qa_site.knowledge.forms import PageMultipleChoiceField
from qa_site.knowledge.models import TopicPage

from .models import Endpoint, Event

MAX_URL = Endpoint._meta.get_field("url").max_length
_url = URLValidator(schemes=["http", "https"])


def http_allowed(host):
    """Plain http only to the hosts named by ``WEBHOOKS_HTTP_HOSTS`` (development and tests: this computer)."""
    return host in settings.WEBHOOKS_HTTP_HOSTS


def clean_endpoint_url(value):
    """``value`` as an endpoint address, or ``ValidationError`` saying what is wrong with it."""
    value = value.strip()
    if any(character.isspace() for character in value):
        raise ValidationError("Enter the address without spaces.")
    try:
        _url(value)
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number from 0 to 65535
    except (ValueError, ValidationError):
        raise ValidationError(
            "Enter a full web address starting with https://, like https://crm.example.org/hooks/ask"
        ) from None
    host = (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None:
        raise ValidationError("Leave the user name and password out of the address: the signature proves the sender.")
    if parts.scheme.lower() != "https" and not http_allowed(host):
        raise ValidationError("The address must start with https://: events are only sent over an encrypted line.")
    if not http_allowed(host):
        try:
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            address = None
        if host == "localhost" or host.endswith(".localhost") or (address is not None and not address.is_global):
            raise ValidationError("The address must be on the internet, not a private or local network.")
    return value


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Address (URL)",
        max_length=MAX_URL,
        help_text="Where your system receives events, e.g. https://crm.example.org/hooks/ask",
        error_messages={
            "required": "Enter the address events are sent to",
            "max_length": "Shorten the address to at most %(limit_value)d characters",
        },
    )
    description = forms.CharField(
        label="Description (optional)",
        max_length=Endpoint._meta.get_field("description").max_length,
        required=False,
        help_text="What it is, e.g. “Case-management system”.",
        error_messages={"max_length": "Shorten the description to at most %(limit_value)d characters"},
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Tick at least one event to send",
            "invalid_choice": "Choose events from the list",
            "invalid_list": "Choose events from the list",
        },
    )
    topics = PageMultipleChoiceField(
        label="Topics for answer.published (optional)",
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

    def __init__(self, *args, endpoint=None, **kwargs):
        if endpoint is not None:
            kwargs["initial"] = {
                "url": endpoint.url,
                "description": endpoint.description,
                "events": list(endpoint.events),
                "topics": list(endpoint.topic_ids),
            }
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = TopicPage.objects.live().order_by("title")

    def clean_url(self):
        return clean_endpoint_url(self.cleaned_data["url"])
