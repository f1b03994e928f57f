"""Personal API tokens: each acts as its person, within the scopes chosen when it was made."""

from django.conf import settings
from django.db import models


class Scope(models.TextChoices):
    READ = "read", "Read — topics, experts, answers and your own questions"
    ASK = "ask", "Ask — send questions and reply to experts' requests for more detail"
    REPORT = "report", "Report — your network's value report (network admins)"


SCOPE_ORDER = [scope.value for scope in Scope]


class ApiTokenQuerySet(models.QuerySet):
    def live(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A token's secret is shown once, when it is made; only its SHA-256 is kept (``digest``), and its first
    characters (``prefix``) so that a person can tell their tokens apart."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_api_tokens")
    name = models.CharField(max_length=100)
    scopes = models.JSONField(default=list, help_text='A list of "read", "ask" and "report".')
    prefix = models.CharField(max_length=16, help_text="The token's first characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token, in hex.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_live(self):
        return self.revoked_at is None

    @property
    def scope_labels(self):
        return [scope for scope in SCOPE_ORDER if scope in self.scopes]

    def allows(self, scope):
        return scope in self.scopes
