"""Secrets at rest: channel passwords and tokens are encrypted in the database.

Values are encrypted with Fernet (AES + HMAC) under a key derived from
TISKI_ENCRYPTION_KEY, or from SECRET_KEY when that is not set, so a copy of
the database alone does not reveal mailbox passwords. An admin may instead
store ``env:NAME``: the secret is then read from the environment variable
NAME each time it is used and never touches the database.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

_PREFIX = "fernet:"
ENV_PREFIX = "env:"


def _fernet() -> Fernet:
    material = os.environ.get("TISKI_ENCRYPTION_KEY") or settings.SECRET_KEY
    digest = hashlib.sha256(b"tiski-secrets-v1\x00" + material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(value: str) -> str:
    if not value or value.startswith(ENV_PREFIX):
        return value
    return _PREFIX + _fernet().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(_PREFIX):
        return stored
    try:
        return _fernet().decrypt(stored[len(_PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted: SECRET_KEY or TISKI_ENCRYPTION_KEY changed. "
            "Enter the secret again in the settings."
        ) from exc


def resolve(stored: str) -> str:
    """The usable secret: decrypted, or read from the environment for ``env:NAME``."""
    value = decrypt(stored)
    if value.startswith(ENV_PREFIX):
        name = value[len(ENV_PREFIX) :]
        if name not in os.environ:
            raise ImproperlyConfigured(f"The environment variable {name} is not set.")
        return os.environ[name]
    return value


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; Python code sees the plain value.

    Use `resolve()` on the value to honour ``env:NAME`` references.
    """

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return value
        return encrypt(value)
