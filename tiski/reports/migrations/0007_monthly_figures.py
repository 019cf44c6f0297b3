import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill(apps, schema_editor):
    """An existing desk's facts give its monthly rollup (as `tiski report --rebuild` would)."""
    from tiski.reports import monthly

    fact = apps.get_model("reports", "TicketFact")
    figure = apps.get_model("reports", "MonthlyFigure")
    rows = fact.objects.filter(merged=False).values(*monthly.FACT_COLUMNS).order_by()
    if not rows.exists():
        return
    cells = monthly.contributions(rows.iterator(chunk_size=2000))
    figure.objects.bulk_create(
        [
            figure(
                month=month,
                team_id=team_id,
                assignee_id=assignee_id,
                whole_team=whole_team,
                figure=name,
                n=hist.n,
                total=hist.total,
                hist={str(k): v for k, v in sorted(hist.buckets.items()) if v},
            )
            for (month, team_id, assignee_id, whole_team, name), hist in cells.items()
        ],
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_covering_period_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="MonthlyFigure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month", models.DateField()),
                ("whole_team", models.BooleanField(default=False)),
                ("figure", models.CharField(max_length=24)),
                ("n", models.IntegerField(default=0)),
                ("total", models.BigIntegerField(default=0)),
                ("hist", models.JSONField(blank=True, default=dict)),
                (
                    "assignee",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.team",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["whole_team", "month"], name="monthly_month"),
                    models.Index(fields=["team", "month"], name="monthly_team_month"),
                    models.Index(fields=["assignee", "month"], name="monthly_assignee_month"),
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
