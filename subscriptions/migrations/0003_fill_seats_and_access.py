from django.db import migrations, models
from django.db.models import F, Subquery, OuterRef


def fill(apps, schema_editor):
    Subscription = apps.get_model("subscriptions", "Subscription")
    Plan = apps.get_model("subscriptions", "Plan")
    Subscription.objects.filter(access_until__isnull=True).update(access_until=F("ends_on"))
    Subscription.objects.filter(seats__isnull=True).update(
        seats=Subquery(Plan.objects.filter(pk=OuterRef("plan_id")).values("included_seats")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0002_billing")]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="subscription",
            name="seats",
            field=models.PositiveIntegerField(help_text="Seats paid for: the plan's included seats plus any extra."),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="access_until",
            field=models.DateField(help_text="The last day members have access: the period's end, or its grace."),
        ),
    ]
