"""The student's side, inside a notebook on JupyterHub: ``check()`` and ``submit()``.

    from autograder.student.client import check, submit
    check("3.2.2")      # the sheet's public checks, run here against this notebook's definitions
                        # (the runner of autograder.student.checks: pass, FAIL, or to do)
    submit()            # send this notebook to the grading service and show the feedback

``submit`` finds the service and the student's token in the environment the hub gives every
single-user server (read when called, see :meth:`Endpoint.from_environ`). It uses only the
standard library, so it works in any kernel that can import this package.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

DEFAULT_SHEET = "sheet_3_2"
DEFAULT_SERVICE = "autograder"
DEFAULT_TIMEOUT = 900.0
PUBLIC_CHECKS = "public_checks.py"


class SubmitError(Exception):
    """Something the student can act on; the message says what to do."""


# --------------------------------------------------------------------------- where to send


@dataclass(frozen=True)
class Endpoint:
    url: str  # the service's base URL, ending in /services/<name>/
    token: str

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str], *, service_url: str | None = None, token: str | None = None
    ) -> Endpoint:
        """The service URL: ``service_url``, else ``AUTOGRADER_SERVICE_URL``, else derived from the
        hub's public URL or, last, from ``JUPYTERHUB_API_URL`` as ``<origin><base>services/<name>/``.

        ``JUPYTERHUB_SERVICE_URL`` is not used: in a single-user server it is that server's own
        address, not the grading service's.
        """
        token = token or environ.get("JUPYTERHUB_API_TOKEN", "")
        if not token:
            raise SubmitError(
                "No JupyterHub token found (JUPYTERHUB_API_TOKEN is not set). Submit from a "
                "notebook running on the course's JupyterHub, or upload the file on the "
                "grading service's web page."
            )
        name = environ.get("AUTOGRADER_SERVICE_NAME", DEFAULT_SERVICE)
        base = "/" + environ.get("JUPYTERHUB_BASE_URL", "/").strip("/")
        base = base if base.endswith("/") else base + "/"
        url = service_url or environ.get("AUTOGRADER_SERVICE_URL", "")
        for variable in ("JUPYTERHUB_PUBLIC_HUB_URL", "JUPYTERHUB_PUBLIC_URL", "JUPYTERHUB_API_URL"):
            if url:
                break
            if environ.get(variable):
                parts = urlsplit(environ[variable])
                url = f"{parts.scheme}://{parts.netloc}{base}services/{name}/"
        if not url:
            raise SubmitError("Cannot tell where the grading service is: set AUTOGRADER_SERVICE_URL.")
        return cls(url=url if url.endswith("/") else url + "/", token=token)

    def request(
        self, method: str, path: str, *, body: bytes | None = None,
        content_type: str | None = None, timeout: float = 60.0,
    ) -> Any:
        headers = {"Authorization": f"token {self.token}", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.url + path, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise SubmitError(_http_message(exc.code, _detail(exc))) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SubmitError(
                f"Cannot reach the grading service at {self.url} ({reason}). Try again in a few "
                "minutes; if it keeps failing, tell course staff."
            ) from None


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        detail = json.loads(exc.read()).get("detail", "")
    except Exception:  # noqa: BLE001 - any non-JSON error body
        return ""
    return detail if isinstance(detail, str) else json.dumps(detail)


def _http_message(code: int, detail: str) -> str:
    if code == 401:
        return ("JupyterHub did not accept your token. Stop and start your server (File > Hub "
                f"Control Panel), then submit again. {detail}").strip()
    if code == 403:
        return detail or "You are not allowed to do this."
    if code == 429:
        return detail or "Too many submissions in the last hour; wait a while and submit again."
    if code in (400, 404, 413):
        return detail or f"The service refused the submission (HTTP {code})."
    return (f"The grading service had a problem (HTTP {code}){': ' + detail if detail else ''}. "
            "Try again in a few minutes; if it keeps failing, tell course staff.")


# --------------------------------------------------------------------------- which notebook


def find_notebook(path: str | os.PathLike[str] | None = None, *,
                  environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """The explicit ``path``, else the notebook of this kernel's session, else the only .ipynb here."""
    environ = os.environ if environ is None else environ
    here = cwd or Path.cwd()
    if path is not None:
        found = Path(path).expanduser()
        found = found if found.is_absolute() else here / found
        if not found.is_file():
            raise SubmitError(f"There is no file {found}.")
        return found
    session = environ.get("JPY_SESSION_NAME", "")
    if session.endswith(".ipynb"):
        name = Path(session)
        roots = [Path(environ.get("JUPYTER_SERVER_ROOT", "")), here, Path.home()]
        for candidate in [name, *(root / name for root in roots), here / name.name]:
            if candidate.is_absolute() and candidate.is_file():
                return candidate
    notebooks = sorted(p for p in here.glob("*.ipynb") if not p.name.startswith("."))
    if len(notebooks) == 1:
        return notebooks[0]
    listing = ", ".join(p.name for p in notebooks) or "none"
    raise SubmitError(
        f"Cannot tell which notebook to submit (notebooks in {here}: {listing}). "
        "Pass its name: submit('sheet_3_2.ipynb')."
    )


# --------------------------------------------------------------------------- submitting


def _multipart(fields: Mapping[str, str], file_field: str, path: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                     f"{value}\r\n".encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
                 f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode())
    parts.append(path.read_bytes())
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def submit(
    notebook_path: str | os.PathLike[str] | None = None,
    sheet: str = DEFAULT_SHEET,
    *,
    wait: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    service_url: str | None = None,
    poll_seconds: float = 2.0,
    show: bool = True,
) -> dict[str, Any]:
    """Submit the notebook (saved on disk: save it first!) and, with ``wait``, show its feedback.

    Returns the service's view of the submission (``status``, ``late``, ``result`` ...).
    Raises :class:`SubmitError` with a message to act on when the service refuses or is away.
    """
    endpoint = Endpoint.from_environ(os.environ, service_url=service_url)
    path = find_notebook(notebook_path)
    age = max(0.0, time.time() - path.stat().st_mtime)
    if show:
        print(f"Submitting {path.name} for {sheet} (last saved {_ago(age)}; unsaved changes "
              "are not included).")
    body, content_type = _multipart({"sheet": sheet}, "file", path)
    view: dict[str, Any] = endpoint.request("POST", "api/submissions", body=body,
                                            content_type=content_type)
    if show:
        print(f"Received as submission {view['id']}.")
        if view.get("late_message"):
            print(view["late_message"])
    if not wait:
        return view
    deadline = time.monotonic() + timeout
    delay = min(poll_seconds, 1.0)
    while view["status"] not in ("done", "failed"):
        if time.monotonic() > deadline:
            if show:
                print(f"Still {view['status']} after {timeout:.0f} s. Your submission is safe; see "
                      f"the feedback later on {endpoint.url} or with status({view['id']}).")
            return view
        time.sleep(delay)
        delay = min(poll_seconds * 2.5, delay * 1.5)
        view = endpoint.request("GET", f"api/submissions/{view['id']}")
    if show:
        show_result(view)
    return view


def status(submission_id: int, *, show: bool = True, service_url: str | None = None) -> dict[str, Any]:
    """The service's view of one of your submissions (and its feedback, when graded)."""
    endpoint = Endpoint.from_environ(os.environ, service_url=service_url)
    view: dict[str, Any] = endpoint.request("GET", f"api/submissions/{int(submission_id)}")
    if show:
        show_result(view)
    return view


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} seconds ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} minutes ago"
    return f"{seconds / 3600:.1f} hours ago"


# --------------------------------------------------------------------------- showing results


def result_text(view: Mapping[str, Any]) -> str:
    """Plain text: the service's markdown feedback (the same as its page and the exported feedback)."""
    result = view.get("result")
    head = f"Submission {view.get('id')} ({view.get('filename')}): {view.get('status')}"
    if view.get("late_message"):
        head += f"\n{view['late_message']}"
    if not result:
        return head
    if result.get("feedback_markdown"):
        return f"{head}\n{result['feedback_markdown']}"
    return f"{head}\nScore: {result.get('score', 0):g} / {result.get('max_score', 0):g}"


def result_html(view: Mapping[str, Any]) -> str:
    """HTML: the feedback fragment the service rendered, under a line naming the submission."""
    esc = html.escape
    result = view.get("result")
    out = [(f"<p><b>Submission {esc(str(view.get('id')))}</b> "
            f"({esc(str(view.get('filename')))}): {esc(str(view.get('status')))}</p>")]
    if view.get("late_message"):
        out.append(f"<p style='color:#a40'>{esc(view['late_message'])}</p>")
    if result and result.get("feedback_html"):
        out.append(str(result["feedback_html"]))  # rendered and escaped by the service
    elif result:
        out.append(f"<p>Score: <b>{result.get('score', 0):g} / {result.get('max_score', 0):g}</b></p>")
    return "".join(out)


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def show_result(view: Mapping[str, Any]) -> None:
    """The service's feedback as HTML in a notebook kernel, as markdown text elsewhere."""
    if _in_kernel():
        from IPython.display import HTML, display

        display(HTML(result_html(view)))
    else:
        print(result_text(view))


# --------------------------------------------------------------------------- public checks


def _find_public_checks(sheet: str, folder: Path | None) -> Path:
    here = Path.cwd()
    candidates = [folder / PUBLIC_CHECKS] if folder else []
    candidates += [here / PUBLIC_CHECKS, here / sheet / PUBLIC_CHECKS]
    candidates += [root / "assignments" / sheet / PUBLIC_CHECKS for root in (here, *here.parents)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise SubmitError(
        f"Cannot find {PUBLIC_CHECKS} for {sheet} next to your notebook ({here}). "
        "Keep the notebook in the sheet's folder as it was released."
    )


def _load_module(path: Path, sheet: str) -> ModuleType:
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # the checks may import their sheet's helpers
    spec = importlib.util.spec_from_file_location(f"_public_checks_{sheet}", path)
    if spec is None or spec.loader is None:
        raise SubmitError(f"Cannot load {path}.")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(
    exercise: str | None = None, sheet: str = DEFAULT_SHEET, *,
    ns: dict[str, Any] | None = None, folder: str | os.PathLike[str] | None = None,
) -> None:
    """Run the sheet's public checks (all, or one exercise's) on the notebook's current definitions.

    The sheet's ``CHECKS`` through the course's one runner (:func:`autograder.student.checks.make_check`):
    the same table, and the same pass / FAIL / to do, as ``check()`` in the notebook and
    ``autograder check``. ``ns`` defaults to the notebook's namespace (``__main__``); ``folder``
    to where the notebook is.
    """
    from autograder.student.checks import make_check

    if ns is None:
        ns = vars(sys.modules["__main__"])
    if folder is None:
        try:
            folder = find_notebook().parent
        except SubmitError:
            folder = None
    path = _find_public_checks(sheet, Path(folder) if folder else None)
    checks = getattr(_load_module(path, sheet), "CHECKS", None)
    if not isinstance(checks, dict):
        raise SubmitError(f"{path} has no CHECKS table: ask course staff for the sheet's public_checks.py.")
    make_check(checks)(exercise, ns=ns)
