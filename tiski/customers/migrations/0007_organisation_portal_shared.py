from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_customerchange'),
    ]

    operations = [
        migrations.AddField(
            model_name='organisation',
            name='portal_shared',
            field=models.BooleanField(blank=True, default=None, null=True, verbose_name='requests shared in the portal'),
        ),
    ]
