from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('knowledge', '0002_search_storage'),
    ]

    operations = [
        migrations.AddField(
            model_name='helpcentresettings',
            name='organisation_requests',
            field=models.BooleanField(default=False, help_text="In the customer portal, people of the same organisation see and answer each other's requests. Each organisation's page can override this.", verbose_name="colleagues see their organisation's requests"),
        ),
    ]
