"""The search box's query language, parsed without touching the database.

    tulostin ei toimi status:open,pending team:Myynti assignee:me tag:vip
    from:liisa@asiakas.fi channel:email created>2026-01-01 #1234
    "exact phrase" -excluded -tag:spam field:product_group:devices

Words are full-text terms; "quoted text" is a phrase; a leading ``-``
excludes a word, a phrase or a filter; ``key:value`` filters take
comma-separated alternatives; ``#1234`` names a ticket. Keys and the fixed
values (statuses, priorities, channels) also have Finnish names, because
agents type in the language they work in. Anything that looks like a filter
but is not one (``klo:10``, ``https://...``) stays a plain word, so pasted
text never turns into an error. A known key with a bad value is an error
the search page shows (`QueryError`), never a crash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils.translation import gettext as _

# Canonical filter keys and every name they may be typed as.
KEY_ALIASES: dict[str, str] = {
    "status": "status",
    "tila": "status",
    "type": "type",
    "tyyppi": "type",
    "priority": "priority",
    "prio": "priority",
    "prioriteetti": "priority",
    "team": "team",
    "tiimi": "team",
    "assignee": "assignee",
    "käsittelijä": "assignee",
    "kasittelija": "assignee",
    "tag": "tag",
    "tunniste": "tag",
    "from": "from",
    "lähettäjä": "from",
    "lahettaja": "from",
    "channel": "channel",
    "kanava": "channel",
    "created": "created",
    "luotu": "created",
    # Custom ticket fields: field:<key>:<value>
    "field": "field",
    "kenttä": "field",
    "kentta": "field",
}
# A custom field's filter is keyed "field:<its key>" in ParsedQuery.filters.
FIELD_FILTER_PREFIX = "field:"
FILTER_KEYS = ("status", "type", "priority", "team", "assignee", "tag", "from", "channel")

# Fixed values, checked here so a typo is reported instead of matching nothing.
# These mirror tiski.tickets.models (kept free of model imports so the parser
# stays a pure function); tests/search/test_query.py checks they agree.
UNSOLVED_STATUSES = ("new", "open", "pending", "on_hold")
STATUS_ALIASES: dict[str, tuple[str, ...]] = {
    "new": ("new",),
    "uusi": ("new",),
    "open": ("open",),
    "avoin": ("open",),
    "auki": ("open",),
    "pending": ("pending",),
    "odottaa": ("pending",),
    "on_hold": ("on_hold",),
    "on-hold": ("on_hold",),
    "onhold": ("on_hold",),
    "hold": ("on_hold",),
    "pidossa": ("on_hold",),
    "solved": ("solved",),
    "ratkaistu": ("solved",),
    "closed": ("closed",),
    "suljettu": ("closed",),
    "unsolved": UNSOLVED_STATUSES,
    "ratkaisematon": UNSOLVED_STATUSES,
}
PRIORITY_ALIASES: dict[str, str] = {
    "low": "low",
    "matala": "low",
    "normal": "normal",
    "normaali": "normal",
    "high": "high",
    "korkea": "high",
    "urgent": "urgent",
    "kiireellinen": "urgent",
    "kiire": "urgent",
}
CHANNEL_ALIASES: dict[str, str] = {
    "email": "email",
    "e-mail": "email",
    "sähköposti": "email",
    "sahkoposti": "email",
    "phone": "phone",
    "puhelin": "phone",
    "web_form": "web_form",
    "webform": "web_form",
    "form": "web_form",
    "lomake": "web_form",
    "chat": "chat",
    "whatsapp": "whatsapp",
    "messenger": "messenger",
    "instagram": "instagram",
    "telegram": "telegram",
    "sms": "sms",
    "tekstiviesti": "sms",
    "api": "api",
    "manual": "manual",
    "käsin": "manual",
}
ME = ("me", "minä", "mina", "itse")
NONE = ("none", "nobody", "ei", "ei-kukaan", "ei_kukaan", "tyhjä")

_FILTER_RE = re.compile(r"^(?P<key>[^\W\d_][\w-]*)(?P<op>>=|<=|:|=|>|<)(?P<value>.*)$", re.S)
_NUMBER_RE = re.compile(r"^#(\d{1,18})$")
_WORD_CHAR = re.compile(r"\w")


class QueryError(ValueError):
    """A query the user must correct; the message is shown as it is."""


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    # words and phrases that must not occur (a phrase keeps its spaces)
    excluded: tuple[str, ...] = ()
    # canonical key -> accepted values (any of them matches)
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # canonical key -> values none of which may match
    excluded_filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    numbers: tuple[int, ...] = ()
    # local calendar days: created on or after ``created_from`` and before ``created_until``
    created_from: date | None = None
    created_until: date | None = None

    @property
    def has_text(self) -> bool:
        """True when full-text matching is needed (terms or phrases to find)."""
        return bool(self.terms or self.phrases)

    @property
    def is_empty(self) -> bool:
        return not (
            self.terms
            or self.phrases
            or self.excluded
            or self.filters
            or self.excluded_filters
            or self.numbers
            or self.created_from
            or self.created_until
        )

    @property
    def text(self) -> str:
        """The words to look for in names of contacts and organisations."""
        return " ".join((*self.terms, *self.phrases))

    @property
    def only_numbers(self) -> bool:
        """``#1234`` alone: the search page goes straight to the ticket."""
        return bool(self.numbers) and self == ParsedQuery(numbers=self.numbers)


def _split(raw: str) -> list[tuple[bool, bool, str]]:
    """Cut the query into (negated, quoted, text) tokens.

    A quote may also start inside a token (``team:"Asiakas palvelu"``); an
    unclosed quote runs to the end, as people expect when still typing.
    """
    tokens: list[tuple[bool, bool, str]] = []
    i, n = 0, len(raw)
    while i < n:
        while i < n and raw[i].isspace():
            i += 1
        if i >= n:
            break
        negated = raw[i] == "-" and i + 1 < n and not raw[i + 1].isspace()
        if negated:
            i += 1
        if raw[i] == '"':
            end = raw.find('"', i + 1)
            end = n if end < 0 else end
            tokens.append((negated, True, raw[i + 1 : end]))
            i = end + 1
            continue
        start = i
        chunk: list[str] = []
        while i < n and not raw[i].isspace():
            if raw[i] == '"' and i > start:
                end = raw.find('"', i + 1)
                end = n if end < 0 else end
                chunk.append(raw[i + 1 : end])
                i = end + 1
                continue
            chunk.append(raw[i])
            i += 1
        tokens.append((negated, False, "".join(chunk)))
    return tokens


def _values(raw: str) -> list[str]:
    return [v.strip() for v in raw.split(",") if v.strip()]


def _choose(key: str, value: str, aliases: dict) -> object:
    found = aliases.get(value.lower())
    if found is None:
        allowed = ", ".join(sorted({v for v in aliases if v.isascii() and "_" not in v})[:12])
        raise QueryError(
            _("Unknown %(key)s “%(value)s”. Try one of: %(allowed)s.")
            % {"key": key, "value": value, "allowed": allowed}
        )
    return found


def _normalise_tag(value: str) -> str:
    # The same rule as tickets.models.Tag.normalise.
    return "-".join(value.strip().lower().split())


def normalise_from(value: str) -> str:
    """An address as identities store it; a phone number without spacing."""
    value = value.strip()
    if "@" in value:
        return value.lower()
    digits = re.sub(r"[\s\-().]", "", value)
    if re.fullmatch(r"\+?\d{5,}", digits):
        return digits
    return value


def _filter_values(key: str, raw: str) -> tuple[str, ...]:
    values = _values(raw)
    if not values:
        raise QueryError(_("“%(key)s:” needs a value.") % {"key": key})
    out: list[str] = []
    for value in values:
        if key == "status":
            out.extend(_choose(key, value, STATUS_ALIASES))  # type: ignore[arg-type]
        elif key == "priority":
            out.append(str(_choose(key, value, PRIORITY_ALIASES)))
        elif key == "channel":
            out.append(str(_choose(key, value, CHANNEL_ALIASES)))
        elif key in ("assignee", "team"):
            lowered = value.lower()
            if key == "assignee" and lowered in ME:
                out.append("me")
            elif lowered in NONE:
                out.append("none")
            else:
                out.append(value)
        elif key == "tag":
            out.append(_normalise_tag(value))
        elif key == "from":
            out.append(normalise_from(value))
        else:
            out.append(value.lower() if key == "type" else value)
    return tuple(dict.fromkeys(out))


def _field_filter(typed_key: str, raw: str) -> tuple[str, tuple[str, ...]]:
    """``product_group:devices,software`` → ("field:product_group", values).

    Which fields exist and what their values mean is the search service's
    to check; here only the shape. ``none`` finds tickets without a value.
    """
    field_key, colon, rest = raw.partition(":")
    field_key = field_key.strip().lower()
    values = _values(rest)
    if not colon or not field_key or not values:
        raise QueryError(
            _("Write a field filter as %(key)s:field:value, for example %(key)s:%(example)s.")
            % {"key": typed_key.lower(), "example": "order_number:A-123"}
        )
    marked = ["none" if value.lower() in NONE else value for value in values]
    return FIELD_FILTER_PREFIX + field_key, tuple(dict.fromkeys(marked))


def parse_date(value: str) -> date:
    """ISO dates (2026-01-31) and Finnish ones (31.1.2026)."""
    value = value.strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", value)
        if not match:
            raise QueryError(
                _("“%(value)s” is not a date. Write dates like 2026-01-31 or 31.1.2026.")
                % {"value": value}
            )
        day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise QueryError(_("There is no day %(value)s.") % {"value": value}) from exc


def _date_bounds(op: str, value: str) -> tuple[date | None, date | None]:
    """A comparison as a half-open range of days [from, until)."""
    day = parse_date(value)
    next_day = day + timedelta(days=1)
    return {
        ">": (next_day, None),
        ">=": (day, None),
        "<": (None, day),
        "<=": (None, next_day),
        ":": (day, next_day),
        "=": (day, next_day),
    }[op]


def parse(raw: str) -> ParsedQuery:
    terms: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    filters: dict[str, list[str]] = {}
    excluded_filters: dict[str, list[str]] = {}
    numbers: list[int] = []
    created_from: date | None = None
    created_until: date | None = None

    for negated, quoted, text in _split(raw or ""):
        text = text.strip()
        if not text:
            continue
        if quoted:
            words = " ".join(text.split())
            if _WORD_CHAR.search(words):
                (excluded if negated else phrases).append(words)
            continue
        number = _NUMBER_RE.match(text)
        if number and not negated:
            numbers.append(int(number.group(1)))
            continue
        match = _FILTER_RE.match(text)
        key = KEY_ALIASES.get(match.group("key").lower()) if match else None
        if match and key:
            op, value = match.group("op"), match.group("value")
            if key == "created":
                if negated:
                    raise QueryError(_("A date cannot be excluded; use created< or created>."))
                low, high = _date_bounds(op, value)
                if low and (created_from is None or low > created_from):
                    created_from = low
                if high and (created_until is None or high < created_until):
                    created_until = high
                continue
            if op not in (":", "="):
                raise QueryError(
                    _("“%(key)s” takes a value after a colon, like %(key)s:value.") % {"key": key}
                )
            target = excluded_filters if negated else filters
            if key == "field":
                name, values = _field_filter(match.group("key"), value)
                target.setdefault(name, []).extend(values)
                continue
            target.setdefault(key, []).extend(_filter_values(key, value))
            continue
        text = text.lstrip("#")
        if not _WORD_CHAR.search(text):
            continue  # punctuation alone finds nothing
        (excluded if negated else terms).append(text)

    if created_from and created_until and created_from >= created_until:
        raise QueryError(_("The dates leave no days between them."))
    return ParsedQuery(
        terms=tuple(dict.fromkeys(terms)),
        phrases=tuple(dict.fromkeys(phrases)),
        excluded=tuple(dict.fromkeys(excluded)),
        filters={k: tuple(dict.fromkeys(v)) for k, v in filters.items()},
        excluded_filters={k: tuple(dict.fromkeys(v)) for k, v in excluded_filters.items()},
        numbers=tuple(dict.fromkeys(numbers)),
        created_from=created_from,
        created_until=created_until,
    )
