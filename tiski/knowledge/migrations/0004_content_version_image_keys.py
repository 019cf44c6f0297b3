"""The public pages' content version (the article cache's key), and a random
key per uploaded image in place of its row number in URLs.

Existing images get their keys here and every stored body (translations and
their versions) has its `/help/images/<number>/` addresses rewritten to the
keys, so no published picture breaks. The regular expression and the key
maker are written out here so this migration never changes with the code.
"""

import re
import secrets

from django.db import migrations, models

import tiski.knowledge.models

OLD_URL = re.compile(r"/help/images/(\d+)/")


def _key():
    return secrets.token_urlsafe(18)


def _version():
    return secrets.token_hex(8)


def keys_and_bodies(apps, schema_editor):
    ArticleImage = apps.get_model("knowledge", "ArticleImage")
    keys = {}
    for image in ArticleImage.objects.all().only("pk"):
        image.key = _key()
        image.save(update_fields=["key"])
        keys[str(image.pk)] = image.key

    def rewrite(html):
        return OLD_URL.sub(
            lambda m: f"/help/images/{keys[m.group(1)]}/" if m.group(1) in keys else m.group(0),
            html,
        )

    for name in ("ArticleTranslation", "ArticleVersion"):
        model = apps.get_model("knowledge", name)
        for row in model.objects.filter(body_html__contains="/help/images/").only("body_html"):
            new = rewrite(row.body_html)
            if new != row.body_html:
                row.body_html = new
                row.save(update_fields=["body_html"])
    HelpCentreSettings = apps.get_model("knowledge", "HelpCentreSettings")
    HelpCentreSettings.objects.update(content_version=_version())


class Migration(migrations.Migration):

    dependencies = [
        ('knowledge', '0003_helpcentresettings_organisation_requests'),
    ]

    operations = [
        migrations.AddField(
            model_name='helpcentresettings',
            name='content_version',
            field=models.CharField(default='', editable=False, max_length=32),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='articleimage',
            name='key',
            field=models.CharField(default='', editable=False, max_length=32),
            preserve_default=False,
        ),
        migrations.RunPython(keys_and_bodies, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='helpcentresettings',
            name='content_version',
            field=models.CharField(default=tiski.knowledge.models.new_version_token, editable=False, max_length=32),
        ),
        migrations.AlterField(
            model_name='articleimage',
            name='key',
            field=models.CharField(default=tiski.knowledge.models.new_image_key, editable=False, max_length=32, unique=True),
        ),
    ]
