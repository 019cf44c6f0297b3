"""The importer's raw mail files: written as the receipt's field would store them."""

from __future__ import annotations

import os
import shutil
import stat

import pytest
from django.core.files.storage import FileSystemStorage

from tiski.connectors.email import raw_writer
from tiski.connectors.models import InboundReceipt

RAW = b"From: a@example.com\r\nSubject: Hei\r\n\r\n" + bytes(range(256)) * 400


@pytest.fixture
def media(settings, tmp_path):
    # The storage forgets its folder and modes when the settings change.
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def test_the_file_holds_the_bytes_under_the_name_returned(media):
    name = raw_writer.write_raw(RAW)
    assert name.startswith("raw-mail/") and name.endswith(".eml")
    assert (media / name).read_bytes() == RAW
    assert raw_writer.write_raw(RAW) != name  # every message a file of its own


def test_the_storage_file_mode_applies(media, settings):
    settings.FILE_UPLOAD_PERMISSIONS = 0o640
    name = raw_writer.write_raw(RAW)
    assert stat.S_IMODE(os.stat(media / name).st_mode) == 0o640


def test_a_folder_removed_since_is_made_again(media):
    first = raw_writer.write_raw(b"first")
    shutil.rmtree(media / "raw-mail")
    second = raw_writer.write_raw(b"second")
    assert (media / second).read_bytes() == b"second"
    assert not (media / first).exists()


def test_a_storage_of_another_kind_saves_through_its_own_api(media, monkeypatch):
    saved = []

    class Elsewhere(FileSystemStorage):
        def save(self, name, content, max_length=None):
            saved.append(content.read())
            return "elsewhere/" + name

    field = InboundReceipt._meta.get_field("raw")
    monkeypatch.setattr(field, "storage", Elsewhere(directory_permissions_mode=0o750))
    assert raw_writer.write_raw(RAW).startswith("elsewhere/raw-mail/")
    assert saved == [RAW]
