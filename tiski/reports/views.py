"""The report pages, their exports and subscriptions: thin views over `metrics`."""

from __future__ import annotations

import functools
import html
from urllib.parse import quote_plus, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import charts, exports, field_dimensions, periods
from .access import can_see_team_reports, require_reports_access
from .formatting import format_delta, format_value
from .metrics import DIMENSIONS, REPORTS, ReportFilters, Result, Scope, Value
from .models import Frequency, ReportSubscription


def scope_from(request: HttpRequest) -> Scope:
    params = request.GET
    return Scope(
        user=request.user,
        period=periods.parse(params),
        filters=ReportFilters.from_params(params),
        bucket=params.get("bucket") or "",
        by=params.get("by") or "",
        compare=params.get("compare") != "0",
    )


def drill_url(scope: Scope, drill: dict[str, str] | None) -> str:
    """The desk's ticket list narrowed to exactly the tickets a figure counts."""
    if drill is None:
        return ""
    pairs = [("view", "all"), *scope.filters.inbox_params(), *drill.items()]
    return reverse("desk:inbox") + "?" + urlencode(pairs)


def _linker(scope: Scope):
    """drill_url for many cells: the list's address and the filters worked out once."""
    base = reverse("desk:inbox") + "?" + urlencode([("view", "all"), *scope.filters.inbox_params()])
    # A page repeats the same few instants in thousands of links (and a
    # heatmap cell links twice, chart and table): encode each piece once.
    quoted = functools.lru_cache(maxsize=4096)(quote_plus)
    made: dict[tuple[tuple[str, str], ...], str] = {}

    def link(drill: dict[str, str] | None) -> str:
        if drill is None:
            return ""
        key = tuple(drill.items())
        url = made.get(key)
        if url is None:
            # What urlencode writes, piece by piece.
            url = base + "&" + "&".join(f"{quoted(str(k))}={quoted(str(v))}" for k, v in key)
            made[key] = url
        return url

    return link


def _body(rows: list[list[dict]]) -> SafeString:
    """A table's rows as HTML, built with plain string formatting (every text
    escaped here): a year by week with a grid per channel is thousands of cells."""
    out = []
    for row in rows:
        cells = []
        for i, c in enumerate(row):
            text = html.escape(str(c["text"]))
            inner = f'<a href="{html.escape(c["url"])}">{text}</a>' if c["url"] else text
            if i == 0:
                cells.append(f'<th scope="row">{inner}</th>')
            else:
                cells.append(f'<td class="{"" if c["kind"] == "text" else "num"}">{inner}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    return mark_safe("\n".join(out))  # noqa: S308 - every text escaped above


def _get_spec(name: str):
    spec = REPORTS.get(name)
    if spec is None:
        raise Http404(_("No such report."))
    return spec


def _presented(result: Result) -> dict:
    """The result with every figure formatted and linked, ready for the template."""
    scope = result.scope
    linker = _linker(scope)

    # A chart's figure is also in its table (a heatmap: thousands of cells):
    # each is formatted and linked once, the chart and the table share it.
    # Keyed by identity; each entry holds its figure, so no passing Value
    # (an axis tick) can die and hand its id to another.
    texts: dict[int, tuple[Value, str]] = {}
    drills: dict[int, tuple[Value, str]] = {}

    def fmt(v: Value) -> str:
        if id(v) not in texts:
            texts[id(v)] = (v, format_value(v))
        return texts[id(v)][1]

    def link(v: Value) -> str:
        if id(v) not in drills:
            drills[id(v)] = (v, linker(v.drill))
        return drills[id(v)][1]

    def cell(v: Value) -> dict:
        return {"text": fmt(v), "url": v.link or link(v), "kind": v.kind}

    tables = []
    for table in result.tables:
        chart = ""
        if table.chart == "bars":
            chart = charts.bar_chart(table, fmt, link)
        elif table.chart == "heatmap":
            chart = charts.heatmap(table, fmt, link)
        tables.append(
            {
                "key": table.key,
                "title": table.title,
                "columns": table.columns,
                "rows": bool(table.rows),
                "body": _body([[cell(v) for v in row] for row in table.rows]),
                "chart": chart,
                "heatmap": table.chart == "heatmap",
            }
        )
    summary = [
        {
            "key": f.key,
            "label": f.label,
            "text": format_value(f.value),
            "url": linker(f.value.drill),
            "previous": format_value(Value(f.value.previous, f.value.kind))
            if scope.compare
            else "",
            "delta": format_delta(f.value) if scope.compare else "",
        }
        for f in result.summary
    ]
    return {"summary": summary, "tables": tables}


def _options(request: HttpRequest, scope: Scope) -> dict:
    from tiski.accounts.models import Team, User
    from tiski.customers.models import Organisation
    from tiski.tickets.labels import priority_choices
    from tiski.tickets.models import Channel, TicketType

    user = request.user
    manager = can_see_team_reports(user)
    teams = Team.objects.order_by("name") if user.is_admin else user.teams.order_by("name")
    return {
        "presets": list(periods.PRESETS.items()),
        "buckets": list(periods.BUCKETS.items()),
        "teams": teams,
        "agents": User.objects.filter(is_active=True).order_by("name") if manager else [],
        "channels": Channel.choices,
        "types": TicketType.objects.filter(active=True),
        "priorities": priority_choices(),
        "organisations": Organisation.objects.order_by("name")[:300],
        "manager": manager,
    }


@login_required
@require_GET
def report_view(request: HttpRequest, name: str) -> HttpResponse:
    require_reports_access(request.user)
    spec = _get_spec(name)
    scope = scope_from(request)
    result = spec.build(scope)
    query = request.GET.urlencode()
    subscriptions = {
        s.frequency for s in ReportSubscription.objects.filter(user=request.user, report=name)
    }
    context = {
        "spec": spec,
        "result": result,
        "scope": scope,
        "presented": _presented(result),
        "dimensions": [
            (key, label) for key, (label, _c) in DIMENSIONS.items() if key in spec.dimensions
        ]
        + (field_dimensions.choice_dimensions() if spec.field_breakdowns else []),
        "query": query,
        "filters": scope.filters,
        "period_preset": request.GET.get("period")
        or ("custom" if request.GET.get("from") else "this_month"),
        "frequencies": Frequency.choices,
        "subscribed": subscriptions,
        **_options(request, scope),
    }
    return render(request, "reports/report.html", context)


@login_required
@require_GET
def export_view(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    require_reports_access(request.user)
    spec = _get_spec(name)
    result = spec.build(scope_from(request))
    stem = f"tiski-{name}-{result.scope.period.first}-{result.scope.period.last}"
    if fmt == "csv":
        # A byte-order mark so spreadsheet programs read the file as UTF-8.
        response = HttpResponse(
            "\ufeff" + exports.to_csv(result), content_type="text/csv; charset=utf-8"
        )
    elif fmt == "xlsx":
        response = HttpResponse(
            exports.to_xlsx(result),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise Http404(_("No such format."))
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


@login_required
@require_POST
def subscribe_view(request: HttpRequest, name: str) -> HttpResponse:
    """Start or stop a weekly / monthly mail of this report (managers only)."""
    require_reports_access(request.user)
    _get_spec(name)
    if not can_see_team_reports(request.user):
        raise Http404(_("No such report."))
    frequency = request.POST.get("frequency", "")
    if frequency not in Frequency.values:
        raise Http404(_("No such report."))
    filters = ReportFilters.from_params(request.POST).as_params()
    if request.POST.get("action") == "stop":
        ReportSubscription.objects.filter(
            user=request.user, report=name, frequency=frequency
        ).delete()
        messages.success(request, _("You will no longer get this report by email."))
    else:
        ReportSubscription.objects.update_or_create(
            user=request.user, report=name, frequency=frequency, defaults={"filters": filters}
        )
        messages.success(
            request,
            _("You will get this report by email: %(frequency)s.")
            % {"frequency": Frequency(frequency).label.lower()},
        )
    back = reverse(f"reports:{name}")
    query = request.POST.get("query", "")
    return redirect(f"{back}?{query}" if query else back)
