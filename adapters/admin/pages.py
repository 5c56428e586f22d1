"""The admin page's HTML, written out by hand: semantic elements, labels, no script.

Every value that came from a person or a file is escaped here, in one place: ``_e``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape

from adapters.admin.charts import STAGE_LABELS, days_chart, funnel_chart
from adapters.admin.counts import protect, protect_strata
from adapters.admin.forms import FIELDS, WaveForm
from adapters.wave_ops import EXPORT_FORMATS, WaveSummary
from bot.waves.store import Wave, WaveState

# Which buttons a state shows; the store decides in the end (a stale page gets its precise error).
ACTIONS: dict[str, tuple[WaveState, ...]] = {
    "start": (WaveState.DRAFT,),
    "pause": (WaveState.RUNNING,),
    "resume": (WaveState.PAUSED,),
    "cancel": (WaveState.DRAFT, WaveState.RUNNING, WaveState.PAUSED),
}
DONE = {"start": "Started.", "pause": "Paused.", "resume": "Resumed.", "cancel": "Cancelled.", "created": "Created."}
EXPORT_NAMES = {"csv": "CSV (metadata and text)", "jsonl": "JSON Lines (whole transcripts)", "dataset": "Dataset CSV"}


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def layout(title: str, body: str, *, csrf: str | None = None, signed_in: bool = True) -> str:
    sign_out = ""
    if csrf is not None:
        sign_out = (
            '<form method="post" action="/admin/logout" class="inline">'
            f'<input type="hidden" name="csrf" value="{_e(csrf)}"><button class="link">Sign out</button></form>'
        )
    nav = ""
    if signed_in:
        nav = (
            '<nav aria-label="Admin"><a href="/admin/">Waves</a><a href="/admin/waves/new">New wave</a>'
            f"{sign_out}</nav>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)} · Candor admin</title>"
        '<link rel="stylesheet" href="/admin/static/admin.css"></head><body>'
        '<a class="skip" href="#main">Skip to the content</a>'
        f'<header class="top"><div class="wrap"><a class="brand" href="/admin/">Candor admin</a>{nav}</div></header>'
        f'<main id="main" class="wrap">{body}</main></body></html>'
    )


def _when(moment: datetime | float | None) -> str:
    if moment is None:
        return "—"
    if isinstance(moment, float | int):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.strftime("%Y-%m-%d %H:%M ") + (moment.tzname() or "")


def progress(summary: WaveSummary) -> tuple[int, int, str]:
    """(value, maximum, words): completes against the target, or against the people invited."""
    completed = summary.funnel.counts["completed"]
    target = summary.wave.spec.target_completes
    if target:
        return completed, target, f"{completed} of {target} target completes ({round(100 * completed / target)}%)"
    invited = summary.funnel.counts["invited"]
    if invited:
        return completed, invited, f"{completed} of {invited} invited completed ({round(100 * completed / invited)}%)"
    return 0, 1, "No one invited yet"


def _progress_bar(summary: WaveSummary, bar_id: str) -> str:
    value, maximum, words = progress(summary)
    return (
        f'<p class="progress-text" id="{bar_id}-text">{_e(words)}</p>'
        f'<progress id="{bar_id}" max="{maximum}" value="{min(value, maximum)}" '
        f'aria-labelledby="{bar_id}-text">{round(100 * min(value, maximum) / maximum)}%</progress>'
    )


def _state(state: WaveState) -> str:
    return f'<span class="state state-{state.value}">{state.value}</span>'


def wave_list(summaries: list[WaveSummary], csrf: str | None) -> str:
    if not summaries:
        items = '<p>No waves yet. <a href="/admin/waves/new">Create the first one</a>.</p>'
    else:
        cards = []
        for summary in summaries:
            spec = summary.wave.spec
            cards.append(
                f'<li class="card"><h2><a href="/admin/waves/{_e(spec.id)}">{_e(spec.id)}</a> '
                f"{_state(summary.wave.state)}</h2>"
                f'<p class="meta">Flow {_e(spec.flow)} · {_e(spec.platform.title())} · '
                f"{_e(_when(spec.opens_at))} to {_e(_when(spec.closes_at))}</p>"
                f"{_progress_bar(summary, f'progress-{spec.id}')}</li>"
            )
        items = f'<ul class="waves">{"".join(cards)}</ul>'
    body = (
        '<div class="title-row"><h1>Interview waves</h1>'
        '<a class="button" href="/admin/waves/new">New wave</a></div>' + items
    )
    return layout("Waves", body, csrf=csrf)


def _facts(wave: Wave) -> str:
    spec = wave.spec
    reminders = "none"
    if spec.reminders.count:
        reminders = f"{spec.reminders.count}, every {', '.join(spec.reminders.every)}"
    rows = [
        ("Flow", spec.flow),
        ("Platform", f"{spec.platform.title()}, workspace {spec.workspace}"),
        ("Opens", _when(spec.opens_at)),
        ("Closes", _when(spec.closes_at)),
        ("Send window", f"{spec.send_window}, {spec.weekdays} (fallback zone {spec.timezone})"),
        ("Reminders", reminders),
        ("Target completes", spec.target_completes or "none"),
        ("Created", _when(wave.created_at)),
        ("Started", _when(wave.started_at)),
    ]
    return '<dl class="facts">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows) + "</dl>"


def _actions(wave: Wave, csrf: str) -> str:
    forms = []
    for action, states in ACTIONS.items():
        if wave.state not in states:
            continue
        confirm = ""
        if action == "cancel":
            confirm = (
                '<label class="confirm"><input type="checkbox" name="confirm" value="yes" required> '
                "I understand a cancelled wave cannot be started again</label>"
            )
        kind = "danger" if action == "cancel" else "primary" if action == "start" else ""
        forms.append(
            f'<form method="post" action="/admin/waves/{_e(wave.spec.id)}/{action}" class="action">'
            f'<input type="hidden" name="csrf" value="{_e(csrf)}">{confirm}'
            f'<button class="{kind}">{action.title()} wave</button></form>'
        )
    if not forms:
        return f"<p>A {wave.state.value} wave has no further actions.</p>"
    return '<div class="actions">' + "".join(forms) + "</div>"


def _stats(summary: WaveSummary, min_group: int) -> str:
    funnel = summary.funnel
    rate = funnel.completion_rate
    median = "—"
    if funnel.median_minutes is not None:
        median = f"{funnel.median_minutes:g} min"
        if funnel.counts["completed"] < min_group:
            median = f"shown from {min_group} completes"
    items = [
        (funnel.counts["invited"], "invited"),
        (funnel.counts["completed"], "completed"),
        ("—" if rate is None else f"{round(100 * rate)}%", "completion rate"),
        (median, "median duration"),
    ]
    return (
        '<ul class="stats">'
        + "".join(f'<li><span class="num">{_e(v)}</span> <span class="what">{_e(k)}</span></li>' for v, k in items)
        + "</ul>"
    )


def _table(caption: str, head: Iterable[str], rows: Iterable[Iterable[str]], *, first_is_header: bool = True) -> str:
    head_html = "".join(f'<th scope="col">{_e(h)}</th>' for h in head)
    body = []
    for row in rows:
        cells = list(row)
        lead = f'<th scope="row">{_e(cells[0])}</th>' if first_is_header else f"<td>{_e(cells[0])}</td>"
        body.append("<tr>" + lead + "".join(f'<td class="n">{_e(c)}</td>' for c in cells[1:]) + "</tr>")
    return (
        f'<div class="table-scroll" role="region" aria-label="{_e(caption)}" tabindex="0"><table>'
        f"<caption>{_e(caption)}</caption><thead><tr>{head_html}</tr></thead><tbody>{''.join(body)}</tbody>"
        "</table></div>"
    )


def _breakdowns(summary: WaveSummary, min_group: int) -> str:
    funnel = summary.funnel
    note = (
        f'<p class="note">To protect small groups, numbers below {min_group} in these breakdowns read '
        f"“fewer than {min_group}”. When only one number would be hidden, the next smallest is withheld too, "
        "so it cannot be worked out from the totals.</p>"
    )
    days = protect(funnel.completions_by_day, min_group)
    if days:
        day_html = f'<div class="chart-box">{days_chart(days, min_group)}</div>' + _table(
            "Completed interviews per day (UTC)",
            ("Day", "Completed"),
            ([d, c.text(min_group)] for d, c in days.items()),
        )
    else:
        day_html = "<p>No interview is complete yet.</p>"
    strata = protect_strata(funnel.by_stratum, min_group)
    if strata:
        rows = ([name, *(cells[stage].text(min_group) for stage in STAGE_LABELS)] for name, cells in strata.items())
        strata_html = _table("Funnel by stratum", ("Stratum", *STAGE_LABELS.values()), rows)
    else:
        strata_html = "<p>This wave has no strata.</p>"
    return (
        f'<section aria-labelledby="days-h"><h2 id="days-h">Completions per day</h2>{note}{day_html}</section>'
        f'<section aria-labelledby="strata-h"><h2 id="strata-h">By stratum</h2>{strata_html}</section>'
    )


def _exports(wave_id: str) -> str:
    links = "".join(
        f'<li><a href="/admin/waves/{_e(wave_id)}/export/{fmt}" download>{_e(EXPORT_NAMES[fmt])}</a></li>'
        for fmt in EXPORT_FORMATS
    )
    return (
        '<section aria-labelledby="export-h"><h2 id="export-h">Exports</h2>'
        "<p>The wave's delivered, anonymized transcripts, from the file sink's folder.</p>"
        f'<ul class="exports">{links}</ul></section>'
    )


def wave_page(summary: WaveSummary, csrf: str, min_group: int, *, notice: str = "", error: str = "") -> str:
    wave, funnel = summary.wave, summary.funnel
    spec = wave.spec
    messages = ""
    if notice:
        messages += f'<p class="notice" role="status">{_e(notice)}</p>'
    if error:
        messages += f'<p class="error-box" role="alert">{_e(error)}</p>'
    problems = "".join(f"<li>{_e(p)}</li>" for p in wave.problems)
    if problems:
        messages += f'<div class="error-box" role="alert"><p>Problems found:</p><ul>{problems}</ul></div>'
    funnel_rows = ([label, str(funnel.counts[stage])] for stage, label in STAGE_LABELS.items())
    body = (
        f'<nav class="crumbs" aria-label="Breadcrumb"><a href="/admin/">Waves</a> / {_e(spec.id)}</nav>'
        f"<h1>Wave {_e(spec.id)} {_state(wave.state)}</h1>{messages}"
        f'<section aria-labelledby="actions-h"><h2 id="actions-h" class="visually-hidden">Actions</h2>'
        f"{_actions(wave, csrf)}</section>"
        f'<section aria-labelledby="progress-h"><h2 id="progress-h">Progress</h2>'
        f"{_stats(summary, min_group)}{_progress_bar(summary, 'progress')}</section>"
        f'<section aria-labelledby="funnel-h"><h2 id="funnel-h">Funnel</h2>'
        f'<div class="chart-box">{funnel_chart(funnel.counts)}</div>'
        f"{_table('Funnel: people at each stage', ('Stage', 'People'), funnel_rows)}</section>"
        f"{_breakdowns(summary, min_group)}{_exports(spec.id)}"
        f'<section aria-labelledby="facts-h"><h2 id="facts-h">Settings</h2>{_facts(wave)}</section>'
    )
    return layout(f"Wave {spec.id}", body, csrf=csrf)


def _field(form: WaveForm, name: str, label: str, control: str, hint: str = "") -> str:
    errors = form.errors.get(name, [])
    described = " ".join([*([f"{name}-hint"] if hint else []), *([f"{name}-error"] if errors else [])])
    control = control.replace(
        "{attrs}",
        f'id="{name}" name="{name}"'
        + (f' aria-describedby="{described}"' if described else "")
        + (' aria-invalid="true"' if errors else ""),
        1,  # the placeholder comes before any value, which may hold the same text
    )
    hint_html = f'<p class="hint" id="{name}-hint">{_e(hint)}</p>' if hint else ""
    error_html = f'<p class="field-error" id="{name}-error">{_e("; ".join(errors))}</p>' if errors else ""
    css = "field has-error" if errors else "field"
    return f'<div class="{css}"><label for="{name}">{_e(label)}</label>{hint_html}{error_html}{control}</div>'


def _text(form: WaveForm, name: str, kind: str = "text", extra: str = "") -> str:
    return f'<input type="{kind}" {{attrs}} value="{_e(form.values.get(name, ""))}" {extra}>'


def _select(form: WaveForm, options: Iterable[tuple[str, str]], name: str) -> str:
    chosen = form.values.get(name, "")
    items = "".join(f'<option value="{_e(v)}"{" selected" if v == chosen else ""}>{_e(t)}</option>' for v, t in options)
    return f"<select {{attrs}}>{items}</select>"


_LABELS = {
    "id": "Wave id",
    "flow": "Interview flow",
    "platform": "Platform",
    "workspace": "Workspace",
    "participants": "Participants",
    "opens_at": "Opens",
    "closes_at": "Closes",
    "timezone": "Time zone",
    "send_window": "Send window",
    "weekdays": "Weekdays",
    "reminders_count": "Reminders",
    "reminders_every": "Reminder interval",
    "target_completes": "Target completes",
}


def new_wave_page(form: WaveForm, flows: Iterable[tuple[str, str]], zones: Iterable[str], csrf: str) -> str:
    summary = ""
    if form.errors:
        links = "".join(
            f'<li><a href="#{name}">{_e(_LABELS.get(name, "Form"))}: {_e("; ".join(form.errors[name]))}</a></li>'
            for name in [*FIELDS, "form"]
            if name in form.errors
        )
        summary = (
            '<div class="error-box" role="alert" tabindex="-1" id="errors"><h2>The wave was not created</h2>'
            f"<ul>{links}</ul></div>"
        )
    f = form
    fields = [
        _field(
            f,
            "id",
            _LABELS["id"],
            _text(f, "id", extra='required maxlength="40" autocomplete="off"'),
            "Lower-case letters, digits and hyphens, e.g. ai-at-work-2026-q1.",
        ),
        _field(f, "flow", _LABELS["flow"], _select(f, flows, "flow")),
        _field(
            f,
            "platform",
            _LABELS["platform"],
            _select(f, [("slack", "Slack"), ("teams", "Microsoft Teams")], "platform"),
        ),
        _field(
            f,
            "workspace",
            _LABELS["workspace"],
            _text(f, "workspace", extra="required"),
            "The Slack team id (T…) or the Teams tenant id.",
        ),
        _field(
            f,
            "participants",
            _LABELS["participants"],
            f'<textarea {{attrs}} rows="6" required>{_e(f.values.get("participants", ""))}</textarea>',
            "One a line: Slack user ids (U…), Teams object ids, or e-mail addresses.",
        ),
        "<fieldset><legend>When</legend>",
        _field(f, "opens_at", _LABELS["opens_at"], _text(f, "opens_at", "datetime-local", "required")),
        _field(f, "closes_at", _LABELS["closes_at"], _text(f, "closes_at", "datetime-local", "required")),
        _field(
            f,
            "timezone",
            _LABELS["timezone"],
            _text(f, "timezone", extra='list="zones" required'),
            "An IANA name such as Europe/Berlin: the opening and closing times are read in it, and it is "
            "used for participants whose own time zone is not known.",
        ),
        _field(
            f,
            "send_window",
            _LABELS["send_window"],
            _text(f, "send_window"),
            "Invitations go out between these local times, e.g. 09:30-16:30.",
        ),
        _field(f, "weekdays", _LABELS["weekdays"], _text(f, "weekdays"), "e.g. mon-fri, or mon,wed,fri."),
        "</fieldset><fieldset><legend>Reminders and target</legend>",
        _field(
            f,
            "reminders_count",
            _LABELS["reminders_count"],
            _text(f, "reminders_count", "number", 'min="0" max="5" inputmode="numeric"'),
            "0 to 5.",
        ),
        _field(
            f,
            "reminders_every",
            _LABELS["reminders_every"],
            _text(f, "reminders_every"),
            "After the previous message: 2d, 36h; or one per reminder, comma-separated.",
        ),
        _field(
            f,
            "target_completes",
            _LABELS["target_completes"],
            _text(f, "target_completes", "number", 'min="1" inputmode="numeric"'),
            "Optional: the wave stops inviting once this many interviews are complete.",
        ),
        "</fieldset>",
    ]
    datalist = '<datalist id="zones">' + "".join(f'<option value="{_e(z)}">' for z in zones) + "</datalist>"
    body = (
        '<nav class="crumbs" aria-label="Breadcrumb"><a href="/admin/">Waves</a> / New wave</nav>'
        f"<h1>New wave</h1>{summary}"
        "<p>The wave is created as a draft; nobody is invited until you start it on its page.</p>"
        f'<form method="post" action="/admin/waves/new" class="wave-form" novalidate>'
        f'<input type="hidden" name="csrf" value="{_e(csrf)}">{"".join(fields)}{datalist}'
        '<button class="primary">Create draft wave</button></form>'
    )
    return layout("New wave", body, csrf=csrf)


def login_page(csrf: str, next_path: str, *, token_enabled: bool, sso_header: str | None, error: str = "") -> str:
    parts = ["<h1>Sign in</h1>"]
    if error:
        parts.append(f'<p class="error-box" role="alert">{_e(error)}</p>')
    if token_enabled:
        parts.append(
            '<form method="post" action="/admin/login" class="login">'
            f'<input type="hidden" name="csrf" value="{_e(csrf)}">'
            f'<input type="hidden" name="next" value="{_e(next_path)}">'
            '<div class="field"><label for="token">Admin token</label>'
            '<p class="hint" id="token-hint">The value of CANDOR_ADMIN_TOKEN.</p>'
            '<input type="password" id="token" name="token" autocomplete="current-password" required '
            'aria-describedby="token-hint"></div><button class="primary">Sign in</button></form>'
        )
    if sso_header:
        parts.append(
            "<p>People on the allow list are signed in by the company's sign-on proxy. If you expected that, "
            "open this page through the proxy, or ask for your address to be added to CANDOR_ADMIN_SSO_USERS.</p>"
        )
    return layout("Sign in", "".join(parts), signed_in=False)


def message_page(title: str, text: str, csrf: str | None) -> str:
    return layout(
        title, f'<h1>{_e(title)}</h1><p>{_e(text)}</p><p><a href="/admin/">Back to the waves</a></p>', csrf=csrf
    )
