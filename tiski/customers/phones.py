"""Phone numbers as one canonical string: E.164 ("+358401234567").

Pure functions apart from reading the default region from settings. Every
path a number enters by (the desk's forms, the admin, call events, SMS, the
API) goes through `to_e164`, via `models.normalise_identity`: matching a
caller to a contact only works when "040 123 4567", "00358 40 123 4567" and
"+358401234567" all become the same string first.
"""

from __future__ import annotations

import phonenumbers
from django.conf import settings

FALLBACK_REGION = "FI"


def default_region() -> str:
    """The region a number without a country code belongs to (``TISKI_PHONE_REGION``)."""
    region = getattr(settings, "TISKI_PHONE_REGION", "") or FALLBACK_REGION
    return region.strip().upper()


def to_e164(raw: str, region: str | None = None) -> str | None:
    """The E.164 form of ``raw``, or None when it is not a phone number.

    Hidden or anonymous callers ("anonymous", "", "+") give None, so they
    never match, or create, a contact.
    """
    region = region or default_region()
    text = (raw or "").strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    text = text.split(";", 1)[0].strip()  # tel: URIs may carry ;ext= parameters
    if sum(ch.isdigit() for ch in text) < 3:
        return None
    if text.startswith("00"):
        text = "+" + text[2:].lstrip()
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


def lookup_forms(e164: str, region: str | None = None) -> list[str]:
    """Stored forms an E.164 number may have in identities not yet migrated.

    Identities written before numbers were normalised kept the digits as
    typed ("0401234567", "358401234567"); the phone-identity migration
    rewrites them, and looking these forms up as well is the belt to its
    braces.
    """
    region = region or default_region()
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


_WRITTEN_NUMBER_CHARS = set("0123456789+-()./ ")
MIN_SEARCH_DIGITS = 3


def search_fragments(query: str, region: str | None = None) -> list[str]:
    """Substrings of a stored E.164 number that a typed search for a number matches.

    People search with what is in front of them: a part of a number in any
    common written form ("0447586", "044 758 6049", "+35844758", "00358 44
    758"). Stored numbers are E.164, so the query's digits are put in that
    shape: a leading "00" or "+" is the international prefix, a leading "0"
    the national trunk prefix, replaced by the region's country code. A
    query that is not a number gives no fragments.
    """
    text = query.strip()
    if not text or not set(text) <= _WRITTEN_NUMBER_CHARS:
        return []
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < MIN_SEARCH_DIGITS:
        return []
    if text.startswith("+"):
        return ["+" + digits]
    if digits.startswith("00"):
        return ["+" + digits[2:]]
    if digits.startswith("0"):
        code = phonenumbers.country_code_for_region(region or default_region())
        return [f"+{code}{digits[1:]}"] if code else [digits[1:]]
    # No prefix at all: a piece from the middle, or a number without its "+".
    return [digits]
