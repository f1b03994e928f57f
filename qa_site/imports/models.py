"""Where imported answers came from, so that importing the same file again adds nothing twice."""

from django.db import models
from django.utils import timezone


class ImportedItem(models.Model):
    """One question and answer brought in from elsewhere (a Stack Exchange dump, a spreadsheet)."""

    source = models.CharField(max_length=100, help_text="e.g. “stackexchange” or “csv”, as given to the import.")
    external_id = models.CharField(max_length=100, help_text="The item's id in its source (a question Id, a row id).")
    page = models.ForeignKey(
        "knowledge.QuestionPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty once the page is deleted; the item is still not imported again.",
    )
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="imported_once_per_source")]

    def __str__(self):
        return f"{self.source}:{self.external_id}"
