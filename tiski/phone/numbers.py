"""Phone numbers as one canonical string: E.164 ("+358401234567").

Pure functions, no database. Telephony systems send numbers in every shape
("040 123 4567", "00358401234567", "358401234567", "tel:+358-40-123-4567");
matching a caller to a contact only works when all of them become the same
string first.
"""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "FI"


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """The E.164 form of ``raw``, or None when it is not a phone number.

    Hidden or anonymous callers ("anonymous", "", "+") give None, so they
    never match, or create, a contact.
    """
    text = (raw or "").strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    text = text.split(";", 1)[0].strip()  # tel: URIs may carry ;ext= parameters
    if sum(ch.isdigit() for ch in text) < 3:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        # PBXs often drop the "+" of an international number: try it back.
        digits = "".join(ch for ch in text if ch.isdigit())
        if text.startswith("+") or not digits:
            return None
        try:
            number = phonenumbers.parse("+" + digits, None)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_possible_number(number):
            return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def lookup_forms(e164: str, region: str = DEFAULT_REGION) -> list[str]:
    """Stored forms an E.164 number may have in older identities.

    Identities written before the phone channel kept the digits as typed
    ("0401234567", "358401234567"); looking those up as well finds the
    contact without a data migration.
    """
    forms = [e164]
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return forms
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    national_digits = "".join(ch for ch in national if ch.isdigit())
    if phonenumbers.region_code_for_number(number) == region and national_digits:
        forms.append(national_digits)
    forms.append(e164.lstrip("+"))
    return list(dict.fromkeys(forms))


def display(e164: str) -> str:
    """A readable form for people: "+358 40 1234567"."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
