"""HTML templates of the service's pages (Jinja2, autoescaped; kept in code so the wheel needs no
package data). Element ids and classes are what the browser tests look for."""

from __future__ import annotations

from jinja2 import DictLoader, Environment, select_autoescape

BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{% if refresh %}<noscript><meta http-equiv="refresh" content="{{ refresh }}"></noscript>
<script id="auto-refresh">/* while something is being graded: reload, unless a file is chosen for upload */
(function poll(){setTimeout(function(){var f=document.getElementById("file-input");
if(f&&f.value){poll()}else{location.reload()}},{{ refresh * 1000 }})})()</script>{% endif %}
<title>{% block title %}{{ course }}{% endblock %} - autograder</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem;color:#222}
header{display:flex;justify-content:space-between;align-items:baseline;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}
th{background:#f4f4f4}.num{text-align:right}.late{color:#a40}.error{color:#b00;font-weight:bold}
.notice{background:#eef6ee;border:1px solid #9c9;padding:.5rem}.alert{background:#fbeaea;border:1px solid #d99;padding:.5rem}
.passed{color:#070}.failed{color:#b00}.status-queued,.status-running{color:#a60}pre{white-space:pre-wrap;background:#f8f8f8;padding:.5rem}
form.inline{display:inline}
.table-scroll{max-width:100%;overflow-x:auto}#class-table{font-size:.85rem}
#class-table td,#class-table th{padding:.2rem .35rem}#class-table td{white-space:nowrap}
#class-table th.exercise{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:normal}
</style></head><body>
<header><h1>{{ course }}</h1>{% if user %}<nav>Signed in as <b id="user-name">{{ user.name }}</b>
{% if user.is_ta %} · <a id="ta-link" href="{{ prefix }}ta">staff page</a>{% endif %}
· <a href="{{ prefix }}">my submissions</a> · <a href="{{ prefix }}logout">log out</a></nav>{% endif %}</header>
{% if message %}<p class="notice" id="message">{{ message }}</p>{% endif %}
{% if error %}<p class="alert" id="error">{{ error }}</p>{% endif %}
{% block body %}{% endblock %}
</body></html>
"""

FEEDBACK = """{% macro feedback(view, staff) %}
{% if view is none %}<p>Not graded yet.</p>{% else %}
{{ view.feedback_html|safe }}
{% if staff %}<details class="staff-view"><summary>Staff view: every check, with tracebacks</summary>
{% if view.grader_error %}<p class="error">Grader error: {{ view.grader_error }}</p>{% endif %}
<table class="tests"><tr><th>exercise</th><th>check</th><th>visibility</th><th>result</th><th>points</th><th>feedback</th></tr>
{% for t in view.tests %}<tr class="test {{ t.status }}"><td>{{ t.number }}</td><td>{{ t.name }}</td><td>{{ t.visibility }}</td>
<td class="{{ t.status }}">{{ t.status }}</td><td class="num">{{ "%g"|format(t.score) }}/{{ "%g"|format(t.max_score) }}</td>
<td>{% if t.output %}<pre>{{ t.output }}</pre>{% endif %}{% if t.staff_output %}<details><summary>staff traceback</summary><pre>{{ t.staff_output }}</pre></details>{% endif %}</td></tr>
{% endfor %}</table></details>{% endif %}{% endif %}
{% endmacro %}"""

STUDENT = """{% extends "base.html" %}{% from "feedback.html" import feedback %}
{% block title %}My submissions{% endblock %}
{% block body %}
<h2>Submit</h2>
<form id="upload-form" method="post" action="{{ prefix }}submit" enctype="multipart/form-data">
<input type="hidden" name="_xsrf" value="{{ user.xsrf }}">
<label>Sheet <select name="sheet" id="sheet-select">{% for s in sheets if s.open %}
<option value="{{ s.name }}">{{ s.name }}{% if s.title %} - {{ s.title }}{% endif %}</option>{% endfor %}</select></label>
<label>Notebook <input type="file" name="file" id="file-input" accept=".ipynb,.py" required></label>
<button type="submit" id="submit-button">Submit for grading</button>
</form>
<ul class="deadlines">{% for s in sheets %}<li data-sheet="{{ s.name }}">{{ s.name }}: {% if not s.open %}<span class="not-open">opens {{ s.opens }}</span>; {% endif %}{% if s.deadline %}due {{ s.deadline }}{% if s.grace %}
(+{{ s.grace }} min grace){% endif %}{% if s.penalty %}; late: -{{ s.penalty }} per day{% endif %}{% else %}no deadline{% endif %}</li>{% endfor %}</ul>
<h2>My submissions</h2>
{% if not rows %}<p id="no-submissions">No submissions yet.</p>{% else %}
<table id="history"><tr><th>#</th><th>sheet</th><th>file</th><th>submitted</th><th>status</th><th>score</th></tr>
{% for r in rows %}<tr class="submission" data-id="{{ r.id }}"><td><a href="{{ prefix }}submissions/{{ r.id }}">{{ r.id }}</a></td>
<td>{{ r.sheet }}</td><td>{{ r.filename }}</td><td>{{ r.submitted_local }}{% if r.late %} <span class="late">late ({{ r.days_late }} d)</span>{% endif %}</td>
<td class="status status-{{ r.status }}">{{ r.status }}{% if r.queue_position %} (#{{ r.queue_position }} in queue){% endif %}</td>
<td class="score num">{% if r.result %}{{ "%g"|format(r.result.score) }} / {{ "%g"|format(r.result.max_score) }}{% endif %}</td></tr>
{% endfor %}</table>
{% for r in rows %}<details class="feedback" data-id="{{ r.id }}" {% if loop.first %}open{% endif %}>
<summary>Feedback for submission {{ r.id }} ({{ r.filename }}, {{ r.submitted_local }})</summary>
{% if r.late_message and r.result is none %}<p class="late">{{ r.late_message }}</p>{% endif %}{{ feedback(r.result, user.is_ta) }}</details>
{% endfor %}{% endif %}
{% endblock %}"""

SUBMISSION = """{% extends "base.html" %}{% from "feedback.html" import feedback %}
{% block title %}Submission {{ r.id }}{% endblock %}
{% block body %}
<h2>Submission {{ r.id }}: {{ r.student }}, {{ r.sheet }}</h2>
<p>{{ r.filename }} (sha256 {{ r.sha256[:12] }}), submitted {{ r.submitted_local }}.
Status: <span class="status status-{{ r.status }}">{{ r.status }}</span>{% if r.attempts > 1 %} ({{ r.attempts }} attempts){% endif %}</p>
{% if r.late_message and r.result is none %}<p class="late">{{ r.late_message }}</p>{% endif %}
{% if user.is_ta %}<form class="inline regrade" method="post" action="{{ prefix }}ta/regrade/{{ r.id }}">
<input type="hidden" name="_xsrf" value="{{ user.xsrf }}"><button type="submit">Regrade</button></form>{% endif %}
{{ feedback(r.result, user.is_ta) }}
{% endblock %}"""

TA = """{% extends "base.html" %}
{% block title %}Staff: {{ sheet.name }}{% endblock %}
{% block body %}
<h2>{{ sheet.name }}{% if sheet.title %}: {{ sheet.title }}{% endif %}</h2>
<p>{% for s in sheets %}<a href="{{ prefix }}ta?sheet={{ s }}">{{ s }}</a> {% endfor %}
· <a id="csv-link" href="{{ prefix }}ta/grades.csv?sheet={{ sheet.name }}">export grades.csv</a>
{% if sheet.written %}· <a id="written-link" href="{{ prefix }}ta/written/{{ sheet.name }}">grade written answers</a>{% endif %}
· queue: <span id="queue-counts">{{ queued }} queued, {{ running }} running</span></p>
<form class="inline" id="regrade-all" method="post" action="{{ prefix }}ta/regrade-all?sheet={{ sheet.name }}">
<input type="hidden" name="_xsrf" value="{{ user.xsrf }}"><button type="submit">Regrade every counted submission</button></form>
<form class="inline" id="regrade-preview" method="post" action="{{ prefix }}ta/regrade-preview?sheet={{ sheet.name }}">
<input type="hidden" name="_xsrf" value="{{ user.xsrf }}"><button type="submit">Regrade all: preview the diff, then apply</button></form>
<form class="inline" id="similarity" method="post" action="{{ prefix }}ta/similarity?sheet={{ sheet.name }}">
<input type="hidden" name="_xsrf" value="{{ user.xsrf }}"><button type="submit">Check similarity</button></form>
<a href="{{ prefix }}ta/similarity/{{ sheet.name }}/index.html">last similarity report</a>
<a href="{{ prefix }}ta/similarity/{{ sheet.name }}/status">its status</a>
· <a id="adjustments-link" href="{{ prefix }}ta/adjustments?sheet={{ sheet.name }}">staff adjustments</a>
· <a id="report-link" href="{{ prefix }}ta/report?sheet={{ sheet.name }}">TA report</a>
{% if active %}<h3>Being graded now{% if refresh %} <small>(this page refreshes itself)</small>{% endif %}</h3>
<table id="active-jobs"><tr><th>job</th><th>submission</th><th>student</th><th>sheet</th><th>state</th><th>why</th><th>attempts</th><th>since</th></tr>
{% for j in active %}<tr class="job status-{{ j.state }}" data-job="{{ j.job }}"><td>{{ j.job }}</td>
<td><a href="{{ prefix }}submissions/{{ j.submission }}">{{ j.submission }}</a></td><td>{{ j.student }}</td><td>{{ j.sheet }}</td>
<td class="state">{{ j.state }}</td><td>{{ j.reason }}</td><td class="num">{{ j.attempts }}</td><td>{{ j.since }}</td></tr>{% endfor %}</table>{% endif %}
<h3>Scores ({{ rows|length }} students{% if rows %}, mean {{ "%.1f"|format(mean) }}, median {{ "%.1f"|format(median) }}{% endif %})</h3>
<div id="histogram">{{ histogram }}</div>
<h3>Exercises</h3>
<table id="exercise-stats"><tr><th>exercise</th><th>max</th><th>mean</th><th>full marks</th></tr>
{% for e in exercise_stats %}<tr data-exercise="{{ e.exercise }}"><td>{{ e.exercise }}</td><td class="num">{{ "%g"|format(e.max) }}</td>
<td class="num">{{ "%.1f"|format(e.mean) }}</td><td class="num pass-rate">{{ "%.0f"|format(100 * e.pass_rate) }}%</td></tr>{% endfor %}</table>
{% if test_stats %}<details><summary>Checks, most failed first</summary><table id="test-stats"><tr><th>exercise</th><th>check</th><th>passed</th></tr>
{% for t in test_stats %}<tr><td>{{ t.number }}</td><td>{{ t.name }}</td><td class="num">{{ "%.0f"|format(100 * t.pass_rate) }}%</td></tr>{% endfor %}</table></details>{% endif %}
<h3>Class</h3>
<div class="table-scroll"><table id="class-table"><tr><th>student</th><th></th><th>#</th><th>submitted</th>{% for e in sheet.points %}<th class="exercise">{{ e }}</th>{% endfor %}
<th>total</th><th>late</th><th>final</th><th>status</th></tr>
{% for r in rows %}<tr class="student" data-student="{{ r.student }}"><td>{{ r.student }}</td>
<td><form class="inline regrade" method="post" action="{{ prefix }}ta/regrade/{{ r.id }}">
<input type="hidden" name="_xsrf" value="{{ user.xsrf }}"><button type="submit">Regrade</button></form></td>
<td><a href="{{ prefix }}submissions/{{ r.id }}">{{ r.id }}</a>/{{ r.count }}</td>
<td>{{ r.submitted }}{% if r.late %} <span class="late">late</span>{% endif %}</td>
{% for e in r.exercises %}<td class="num">{{ "%g"|format(e.score) }}</td>{% endfor %}
<td class="num">{{ "%g"|format(r.score) }}</td><td class="num">{% if r.penalty %}-{{ "%g"|format(r.penalty) }}{% endif %}</td>
<td class="num final">{{ "%g"|format(r.final) }}</td><td class="status status-{{ r.status }}">{{ r.status }}</td></tr>
{% endfor %}</table></div>
{% endblock %}"""

ERROR = """{% extends "base.html" %}{% block body %}<p class="alert" id="error">{{ detail }}</p>
<p><a href="{{ prefix }}">Back to my submissions</a></p>{% endblock %}"""


def environment() -> Environment:
    return Environment(
        loader=DictLoader({
            "base.html": BASE, "feedback.html": FEEDBACK, "student.html": STUDENT,
            "submission.html": SUBMISSION, "ta.html": TA, "error.html": ERROR,
        }),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
