"""The business calendar editor: a week grid of opening spans, holidays, exceptions.

The grid arrives as lists of time inputs (``day-0-start`` / ``day-0-end`` for
Monday's spans, in order), so a day can have any number of spans (split
shifts) without a fixed set of form fields. Everything is checked here and
reported next to the day or row it concerns.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, time
from functools import cache
from typing import Any

import holidays
from babel import Locale, UnknownLocaleError
from django import forms
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from tiski.sla.models import WEEKDAYS, Calendar, format_intervals, parse_intervals

MIDNIGHT = time(0, 0)
# Also handed to the page, so the grid can say the same sentences while typing.
MSG_MISSING = gettext_lazy(
    "%(where)s: give both the start and the end of each span, like 08:00 and 16:00."
)
MSG_ORDER = gettext_lazy("%(where)s: %(start)s–%(end)s ends before it starts.")
MSG_OVERLAP = gettext_lazy("%(where)s: %(a)s and %(b)s overlap.")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """The countries `holidays` knows, named in the reader's language, A to Ö.

    Names come from the CLDR data Babel ships ("Ruotsi" in Finnish, "Sweden"
    in English); a code CLDR lacks keeps the `holidays` package's English name.
    """
    return list(_country_choices(_babel_locale(language or get_language() or "fi")))


@cache
def _country_choices(locale: str) -> tuple[tuple[str, str], ...]:
    territories = Locale.parse(locale).territories
    english = {codes[1]: name for name, codes in _registry().items()}
    codes = [c for c in holidays.list_supported_countries() if len(c) == 2]
    named = [(code, territories.get(code) or english.get(code, code)) for code in codes]
    collation = _collation_key(locale)
    return tuple(
        (code, f"{name} ({code})") for code, name in sorted(named, key=lambda i: collation(i[1]))
    )


def _babel_locale(language: str) -> str:
    """Django's language code as Babel wants it: "fi", "en", "pt_BR"."""
    code = language.replace("-", "_")
    try:
        Locale.parse(code)
    except (ValueError, UnknownLocaleError):
        return "en"
    return code


# Finnish and Swedish put Å, Ä and Ö after Z (in that order), which code
# point order gets wrong (ä < å); other languages fold the accents away.
_NORDIC_TAIL = str.maketrans({"å": "{", "ä": "|", "ö": "}"})


def _collation_key(locale: str):
    if locale.split("_")[0] in ("fi", "sv"):
        return lambda name: name.casefold().translate(_NORDIC_TAIL)
    return lambda name: unicodedata.normalize("NFKD", name.casefold())


def _registry() -> dict[str, tuple[str, ...]]:
    from holidays.registry import COUNTRIES

    # ("Aland Islands", ("AlandIslands", "AX", ...)): the class name is the readable one.
    return {re.sub(r"(?<=[a-z])(?=[A-Z])", " ", v[0]): v for v in COUNTRIES.values()}


def subdivision_choices(country: str) -> list[tuple[str, str]]:
    codes = holidays.list_supported_countries().get(country) or []
    if not codes:
        return []
    aliases: dict[str, str] = {}
    try:
        entity = holidays.country_holidays(country)
        for alias, code in (getattr(entity, "subdivisions_aliases", None) or {}).items():
            aliases.setdefault(code, alias)
    except NotImplementedError:
        pass
    return [("", _("The whole country"))] + [
        (code, f"{code} — {aliases[code]}" if code in aliases else code) for code in codes
    ]


def upcoming_holidays(country: str, subdivision: str, today: date, count: int = 12) -> list:
    """The next public holidays, named in the user's language where the package has it."""
    if not country:
        return []
    language = (get_language() or "en")[:2]
    try:
        entity = holidays.country_holidays(
            country,
            subdiv=subdivision or None,
            years=(today.year, today.year + 1),
            language=language if language in _languages(country) else None,
        )
    except NotImplementedError:
        return []
    return sorted((d, name) for d, name in entity.items() if d >= today)[:count]


def _languages(country: str) -> tuple[str, ...]:
    entity = holidays.country_holidays(country)
    return tuple(lang[:2] for lang in getattr(entity, "supported_languages", ()) or ())


def _parse_time(text: str) -> time | None:
    match = _TIME.match(text.strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _show(t: time, end: bool = False) -> str:
    return "24:00" if end and t == MIDNIGHT else t.strftime("%H:%M")


@dataclass
class Span:
    start: str
    end: str


@dataclass
class Day:
    number: int
    label: Any
    spans: list[Span] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class OpenDay:
    day: str
    start: str
    end: str


def check_spans(
    pairs: list[tuple[str, str]], where: str
) -> tuple[list[tuple[time, time]], list[str]]:
    """Typed spans -> sorted (start, end) times and the sentences that say what is wrong.

    An end of 00:00 means midnight at the end of the day.
    """
    spans: list[tuple[time, time]] = []
    errors: list[str] = []
    for start_text, end_text in pairs:
        if not start_text.strip() and not end_text.strip():
            continue
        start, end = _parse_time(start_text), _parse_time(end_text)
        if start is None or end is None:
            errors.append(str(MSG_MISSING) % {"where": where})
            continue
        if end != MIDNIGHT and end <= start:
            errors.append(
                str(MSG_ORDER) % {"where": where, "start": _show(start), "end": _show(end, True)}
            )
            continue
        spans.append((start, end))
    spans.sort()
    for (s1, e1), (s2, e2) in zip(spans, spans[1:], strict=False):
        if e1 == MIDNIGHT or s2 < e1:
            errors.append(
                str(MSG_OVERLAP)
                % {
                    "where": where,
                    "a": f"{_show(s1)}–{_show(e1, True)}",
                    "b": f"{_show(s2)}–{_show(e2, True)}",
                }
            )
    return spans, errors


class CalendarForm(forms.ModelForm):
    # Plain choice fields do not take the model's defaults: give them here.
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), initial="Europe/Helsinki")
    country = forms.ChoiceField(
        label=gettext_lazy("Public holidays of"), required=False, initial="FI"
    )
    subdivision = forms.ChoiceField(
        label=gettext_lazy("Region"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose a region of the chosen country.")},
    )

    class Meta:
        model = Calendar
        fields = ("name", "time_zone", "country", "subdivision", "is_default")
        help_texts = {"is_default": gettext_lazy("Used by tickets no SLA policy matches.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(z, z) for z in sorted(zoneinfo.available_timezones())]
        self.fields["country"].choices = [("", _("No public holidays"))] + country_choices()
        country = (self.data.get("country") if self.is_bound else self.instance.country) or ""
        self.fields["subdivision"].choices = subdivision_choices(country) or [("", "—")]
        self.fields["country"].widget.attrs.update({"data-country-select": ""})
        self.old_grid = {
            name: _readable(name, getattr(self.instance, name) or type(default)())
            for name, default in (("weekly_hours", {}), ("closed_dates", []), ("open_dates", {}))
        }
        self.exception_errors: list[str] = []
        if self.is_bound:
            self.week = self._posted_week()
            self.closed = [d for d in self.data.getlist("closed-date")]
            self.opened = [
                OpenDay(d, s, e)
                for d, s, e in zip(
                    self.data.getlist("open-date"),
                    self.data.getlist("open-start"),
                    self.data.getlist("open-end"),
                    strict=False,
                )
            ]
        else:
            self.week = self._stored_week()
            self.closed = list(self.instance.closed_dates or [])
            self.opened = [
                OpenDay(d, _show(a), _show(b, True))
                for d, text in sorted((self.instance.open_dates or {}).items())
                for a, b in parse_intervals(text)
            ]

    @property
    def live_messages(self) -> dict[str, Any]:
        return {"missing": MSG_MISSING, "order": MSG_ORDER, "overlap": MSG_OVERLAP}

    def _stored_week(self) -> list[Day]:
        weekly = self.instance.weekly_hours or {}
        week = []
        for number, label in WEEKDAYS:
            try:
                intervals = parse_intervals(weekly.get(str(number), ""))
            except forms.ValidationError:
                intervals = ()
            spans = [Span(_show(a), _show(b, True)) for a, b in intervals]
            week.append(Day(number, label, spans))
        return week

    def _posted_week(self) -> list[Day]:
        week = []
        for number, label in WEEKDAYS:
            starts = self.data.getlist(f"day-{number}-start")
            ends = self.data.getlist(f"day-{number}-end")
            spans = [Span(s, e) for s, e in zip(starts, ends, strict=False)]
            week.append(Day(number, label, spans))
        return week

    def clean_subdivision(self) -> str:
        value = self.cleaned_data.get("subdivision") or ""
        country = self.data.get("country") or ""
        if value and value not in dict(subdivision_choices(country)):
            raise forms.ValidationError(_("Choose a region of the chosen country."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        weekly: dict[str, str] = {}
        for day in self.week:
            pairs = [(s.start, s.end) for s in day.spans]
            spans, errors = check_spans(pairs, str(day.label))
            day.errors = errors
            # Only sound days reach the model, so its own check adds no second message.
            if spans and not errors:
                weekly[str(day.number)] = format_intervals(spans)
        if any(day.errors for day in self.week):
            self.add_error(None, _("Some opening hours need fixing: see the days marked below."))
        closed = self._clean_closed()
        opened = self._clean_opened(closed)
        if self.exception_errors:
            self.add_error(None, _("Some exceptions need fixing: see the list marked below."))
        if not weekly and not opened:
            self.add_error(None, _("Give opening hours for at least one day of the week."))
        self.instance.weekly_hours = weekly
        self.instance.closed_dates = closed
        self.instance.open_dates = opened
        return data

    def _date(self, text: str) -> date | None:
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            self.exception_errors.append(
                _("“%(value)s” is not a date. Pick one from the calendar.") % {"value": text}
            )
            return None

    def _clean_closed(self) -> list[str]:
        closed: list[str] = []
        for text in self.closed:
            if text.strip() and (day := self._date(text)) and day.isoformat() not in closed:
                closed.append(day.isoformat())
        return sorted(closed)

    def _clean_opened(self, closed: list[str]) -> dict[str, str]:
        by_day: dict[str, list[tuple[str, str]]] = {}
        for row in self.opened:
            if not (row.day.strip() or row.start.strip() or row.end.strip()):
                continue
            day = self._date(row.day)
            if day is not None:
                by_day.setdefault(day.isoformat(), []).append((row.start, row.end))
        opened: dict[str, str] = {}
        for iso, pairs in sorted(by_day.items()):
            where = date.fromisoformat(iso).strftime("%d.%m.%Y")
            if iso in closed:
                self.exception_errors.append(
                    _("%(day)s is both a closed day and an open day. Keep one of them.")
                    % {"day": where}
                )
            spans, errors = check_spans(pairs, where)
            if not spans and not errors:
                errors = [_("%(day)s: give the opening hours of the open day.") % {"day": where}]
            self.exception_errors.extend(errors)
            if spans and not errors:
                opened[iso] = format_intervals(spans)
        return opened

    def log_changes(self, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
        """The form's own fields plus the grid and exceptions, as people read them."""
        for name, before in self.old_grid.items():
            after = _readable(name, getattr(self.instance, name))
            if before != after:
                changes[name] = [before, after]
        return changes


def _readable(name: str, value: Any) -> str:
    if name == "weekly_hours":
        labels = dict(WEEKDAYS)
        return "; ".join(f"{labels[int(d)]} {text}" for d, text in sorted(value.items()))
    if name == "open_dates":
        return "; ".join(f"{d} {text}" for d, text in sorted(value.items()))
    return ", ".join(value)
