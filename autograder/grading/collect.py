"""Find the submissions in what the TA named: whose each one is, which file is graded, when it came in.

Everything below the folders the TA named is the students' (file and folder names, links, extra
files), so nothing here trusts it. The rules (docs/security.md, "The student's files and folder
names"):

- **Where the id comes from.** A folder named on the command line is read by its layout, decided by
  the folder itself and its parents, which are the TA's: ``<root>/submitted/<student>/<assignment>/``
  (the root holds ``submitted/``, or is ``submitted/``, ``submitted/<student>`` or
  ``submitted/<student>/<assignment>``) gives the student from that fixed position; anything deeper
  belongs to that one submission and is never a submission of its own (a file right in
  ``submitted/`` is staff's, and a submission of its own, as in a plain folder). Any other folder is a plain
  one: each file in it is a submission (the id is its stem) and each sub-folder is one (the id is
  the folder's name). A file named on the command line is its own submission.
- **Which file is graded** in a submission folder: the sheet's notebook (``sheet_3_2.ipynb``) at the
  top of the folder, else the notebook or ``.py`` named for the sheet or the assignment folder, else
  the only notebook at the top, else the only ``.py`` at the top, else the only notebook or ``.py``
  anywhere in the folder. The other ``.ipynb``/``.py`` files are reported, not graded; a folder
  where the rule finds no file (or several) gets a "not gradable" result that says why.
- **Links** are followed only when they end inside the folder the TA named; inside a submission,
  only when they end inside that same submission's folder (a link to a classmate's notebook is
  reported, never graded).
- **Depth**: a submission folder is walked iteratively, at most ``MAX_DEPTH`` levels and
  ``MAX_ENTRIES`` entries; a deeper one is "not gradable" with a message, and the rest are graded.
- **Ids** are readable (unicode letters are kept) and distinct; a name that had to be changed (a
  character outside letters, digits and `` _.@+-'``, or longer than 120 bytes) gets ``~`` and 16 hex
  digits (64 bits) of its hash. Only submissions whose ids are equal are refused; the rest are graded.
  Ids that differ only by case or by look-alike letters are graded apart, and the TA is warned
  (:func:`look_alike_warnings`).
- **Time** (:class:`SubmissionTimes`): the TA's ``--submitted-at`` table first; then nbgrader's
  ``timestamp.txt``, read only from ``submitted/<student>/<assignment>/``, where the exchange writes it;
  the graded file's modification time (which the student controls) only with ``--trust-mtime``;
  otherwise unknown (never late). A time that cannot be a date (past year 9999) is unknown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from autograder.core.errors import BatchRefused
from autograder.grades.late import parse_timestamp

SUFFIXES = (".ipynb", ".py")
SKIPPED_FOLDERS = (".ipynb_checkpoints", "__pycache__")
MAX_ID_BYTES = 120  # "<id>.json" and its temporary ".<id>.json.XXXXXXXX.tmp" stay far below NAME_MAX
ID_PUNCTUATION = " _.@+-'"
NOT_FOLLOWED = "(a link out of the folder, not followed)"
MAX_ENTRIES = 10_000  # files and folders looked at in one submission folder
MAX_DEPTH = 32  # folder levels below a submission's folder; deeper is not a notebook's working folder
HASH_HEX = 16  # 64 bits: a birthday search needs about 2**32 names to find two that share an id

# Where a submission time came from (the result's ``extra_data.submitted_at_source``).
FROM_TABLE, FROM_EXCHANGE, FROM_MTIME, UNKNOWN = "submitted-at file", "timestamp.txt", "mtime", "unknown"


@dataclass(frozen=True)
class SubmissionTimes:
    """Where a batch takes submission times from: the TA's table (``--submitted-at``: id -> time),
    nbgrader's ``timestamp.txt``, and the file's modification time only when ``trust_mtime``."""

    table: Mapping[str, dt.datetime] = field(default_factory=dict)
    trust_mtime: bool = False


def file_time(path: Path) -> dt.datetime | None:
    """A file's modification time, or None when it cannot be read or is no date (past year 9999)."""
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    except (OSError, ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class Found:
    """One student's submission: the file to grade, or why there is none."""

    student_id: str
    path: Path | None
    folder: Path | None = None  # nbgrader's submitted/<student>/<assignment>/, else None
    base: Path | None = None  # the submission's folder in any layout (hidden from every sandbox)
    ignored: tuple[str, ...] = ()  # other notebooks and .py files in the folder, and links not followed
    problem: str = ""  # for the student: why nothing in the folder could be graded
    times: SubmissionTimes = field(default_factory=SubmissionTimes, repr=False, compare=False)

    def submitted_at(self) -> dt.datetime | None:
        """When the submission came in, by the batch's :class:`SubmissionTimes` (None: unknown)."""
        return self.submission_time()[0]

    def submission_time(self) -> tuple[dt.datetime | None, str]:
        """The time and where it came from: the TA's table, the exchange's ``timestamp.txt``, the file's
        modification time (only when the TA trusts it), else unknown."""
        if self.student_id in self.times.table:
            return self.times.table[self.student_id], FROM_TABLE
        if self.folder is not None:
            stamp = _read_small_file(self.folder / "timestamp.txt")
            moment = parse_timestamp(stamp) if stamp is not None else None
            if moment is not None:
                return moment, FROM_EXCHANGE
        if self.times.trust_mtime and self.path is not None:
            moment = file_time(self.path)
            if moment is not None:
                return moment, FROM_MTIME
        return None, UNKNOWN


@dataclass
class Collection:
    found: list[Found] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # one message per colliding id
    refused_ids: dict[str, str] = field(default_factory=dict)  # each colliding id and its message


def safe_id(raw: str) -> str:
    """A readable, file-safe student id; two different names never give one id unless they look alike.

    Kept as is: letters and digits of any script (NFC-normalised), and `` _.@+-'``. Anything else,
    a leading dot or space, or more than ``MAX_ID_BYTES`` turns into ``<kept part>~<16 hex of the name>``.
    """
    raw_bytes = raw.encode("utf-8", "surrogatepass")  # names that are not UTF-8 arrive surrogate-escaped
    text = unicodedata.normalize("NFC", raw_bytes.decode("utf-8", "replace"))
    cleaned = "".join(c if _id_char(c) else "_" for c in text).lstrip(". ").rstrip(" ")
    if cleaned == text and 0 < len(cleaned.encode()) <= MAX_ID_BYTES:
        return cleaned
    kept = cleaned.encode()[: MAX_ID_BYTES - HASH_HEX - 1].decode("utf-8", "ignore").rstrip(" ") or "unnamed"
    return f"{kept}~{hashlib.sha256(raw_bytes).hexdigest()[:HASH_HEX]}"


def _id_char(char: str) -> bool:
    return char in ID_PUNCTUATION or unicodedata.category(char)[0] in "LNM"


def student_id_for(path: Path) -> str:
    """The student id of a file named on its own: nbgrader's ``submitted/<student>/<assignment>/<file>``, else its stem."""
    folder = _nbgrader_folder(path)
    return safe_id(folder.parent.name if folder else path.stem)


def _nbgrader_folder(path: Path) -> Path | None:
    """``submitted/<student>/<assignment>/`` when ``path`` is a file right inside one."""
    parents = path.absolute().parents
    return path.parent if len(parents) >= 3 and parents[2].name == "submitted" else None


def collect(paths: Sequence[Path], *, sheet: str, notebook: str,
            times: SubmissionTimes | None = None) -> Collection:
    """Every submission in ``paths``; a path that does not exist refuses the batch (nothing is graded).

    ``times``: where submission times come from (default: the exchange's ``timestamp.txt`` only)."""
    found: list[Found] = []
    for path in paths:
        if path.is_dir():
            found.extend(_folder(path, sheet=sheet, notebook=notebook))
        elif path.is_file():
            found.append(Found(student_id_for(path), path, folder=_nbgrader_folder(path)))
        else:
            raise BatchRefused(f"{path} does not exist or is not a file or folder (nothing was graded)")
    if times is not None:
        found = [replace(entry, times=times) for entry in found]
    return _without_collisions(_deduplicated(found))


def _deduplicated(found: list[Found]) -> list[Found]:
    """One entry per file (a TA may name a folder and a file inside it)."""
    seen: dict[tuple[str, str], Found] = {}
    for entry in found:
        key = (entry.student_id, str(entry.path.resolve()) if entry.path else entry.problem)
        seen.setdefault(key, entry)
    return list(seen.values())


def _without_collisions(found: list[Found]) -> Collection:
    by_id: dict[str, list[Found]] = {}
    for entry in found:
        by_id.setdefault(entry.student_id, []).append(entry)
    collection = Collection()
    for sid, entries in by_id.items():
        if len(entries) == 1:
            collection.found.append(entries[0])
        else:
            where = ", ".join(shown(str(e.path or e.folder)) for e in entries)
            message = (f"{len(entries)} submissions have the student id {sid!r} ({where}); "
                       "none of them was graded: grade them in separate batches or rename one")
            collection.refused.append(message)
            collection.refused_ids[sid] = message
    return collection


# ------------------------------------------------------------------ layouts


def _folder(root: Path, *, sheet: str, notebook: str) -> Iterator[Found]:
    real = root.resolve()
    if (real / "submitted").is_dir():
        yield from _students(real / "submitted", real, sheet=sheet, notebook=notebook)
    elif real.name == "submitted":
        yield from _students(real, real, sheet=sheet, notebook=notebook)
    elif real.parent.name == "submitted":
        yield _student(real, real, sheet=sheet, notebook=notebook)
    elif real.parent.parent.name == "submitted":
        yield _submission(real, real, student=real.parent.name, assignment=real.name, sheet=sheet,
                          notebook=notebook)
    else:
        for entry in _entries(real, real):
            if entry.is_dir():
                yield _submission(entry, real, student=entry.name, assignment=sheet, sheet=sheet,
                                  notebook=notebook)
            elif entry.suffix.lower() in SUFFIXES and _regular(entry):
                yield Found(safe_id(entry.stem), entry)


def _students(submitted: Path, root: Path, *, sheet: str, notebook: str) -> Iterator[Found]:
    """Each folder is a student's; a file right here (put by staff, not by a student) is its own submission."""
    for entry in _entries(submitted, root):
        if entry.is_dir():
            yield _student(entry, root, sheet=sheet, notebook=notebook)
        elif entry.suffix.lower() in SUFFIXES and _regular(entry):
            yield Found(safe_id(entry.stem), entry)


def _student(folder: Path, root: Path, *, sheet: str, notebook: str) -> Found:
    """``submitted/<student>/``: the assignment folder named for the sheet, else the only one."""
    assignments = [entry for entry in _entries(folder, root) if entry.is_dir()]
    named = [entry for entry in assignments if entry.name == sheet]
    chosen = named or assignments
    if len(chosen) == 1:
        return _submission(chosen[0], root, student=folder.name, assignment=chosen[0].name, sheet=sheet,
                           notebook=notebook)
    names = ", ".join(sorted(shown(entry.name) for entry in assignments)) or "none"
    return Found(safe_id(folder.name), None, folder=folder,
                 problem=f"no single assignment folder to grade for {sheet} (found: {names})")


def _submission(folder: Path, root: Path, *, student: str, assignment: str, sheet: str,
                notebook: str) -> Found:
    """One submission folder: the file the documented rule picks; the other candidates reported."""
    nbgrader = folder.parent.parent.name == "submitted"
    if folder.resolve() != folder.absolute():  # the folder itself, or one above it, is a link inside the class
        return Found(safe_id(student), None, folder=folder if nbgrader else None, base=folder,
                     problem=f"the submission folder is a link {NOT_FOLLOWED}; hand in your own folder")
    try:
        top, deeper, links = _candidates(folder)
    except TooDeep as exc:
        return Found(safe_id(student), None, folder=folder if nbgrader else None, base=folder,
                     problem=str(exc))
    by_name = {path.name: path for path in top}
    preferred = [notebook, f"{sheet}.ipynb", f"{assignment}.ipynb", f"{Path(notebook).stem}.py",
                 f"{sheet}.py", f"{assignment}.py"]
    chosen = next((by_name[name] for name in preferred if name in by_name), None)
    for pool in ([p for p in top if p.suffix.lower() == ".ipynb"], [p for p in top if p.suffix.lower() == ".py"],
                 top + deeper):
        if chosen is None and len(pool) == 1:
            chosen = pool[0]
    rest = sorted(shown(str(p.relative_to(folder))) for p in top + deeper if p != chosen)
    ignored = (*rest, *links)
    if chosen is None:
        what = ", ".join(ignored) if ignored else "none"
        problem = (f"no file to grade: put your notebook at the top of the folder as {notebook} "
                   f"(notebooks and .py files found: {what})")
        return Found(safe_id(student), None, folder=folder if nbgrader else None, base=folder,
                     ignored=ignored, problem=problem)
    return Found(safe_id(student), chosen, folder=folder if nbgrader else None, base=folder, ignored=ignored)


class TooDeep(Exception):
    """A submission folder nested deeper than ``MAX_DEPTH``: the message is for the student."""


def _candidates(folder: Path) -> tuple[list[Path], list[Path], list[str]]:
    """Notebooks and .py files at the top of ``folder`` and below it, and links that lead outside it.

    Walked with a stack, not recursion (``os.walk`` on Python 3.11 recurses: a folder nested a
    thousand deep raised RecursionError and stopped the class); a link counts only when it ends
    inside this same submission's folder (``../../bob/...`` would hand in a classmate's work).
    """
    top: list[Path] = []
    deeper: list[Path] = []
    links: list[str] = []
    own = folder.resolve()
    seen = 0
    stack: list[tuple[Path, int]] = [(folder, 0)]
    while stack:
        here, depth = stack.pop()
        try:
            entries = sorted(os.scandir(here), key=lambda entry: entry.name)
        except OSError:
            continue
        seen += len(entries)
        if seen > MAX_ENTRIES:  # a folder built to slow the batch down: what was found so far counts
            links.append(f"{shown(str(here.relative_to(folder)))}: stopped looking after {MAX_ENTRIES} entries")
            break
        below: list[tuple[Path, int]] = []
        for entry in entries:
            path = here / entry.name
            relative = shown(str(path.relative_to(folder)))
            if entry.is_dir(follow_symlinks=False):
                if entry.name in SKIPPED_FOLDERS:
                    continue
                if depth + 1 > MAX_DEPTH:
                    raise TooDeep(f"the submission's folders are nested more than {MAX_DEPTH} levels deep "
                                  f"(at {relative[:200]}); remove the nested folders and submit again")
                below.append((path, depth + 1))
            elif entry.is_symlink():
                if path.suffix.lower() in SUFFIXES and not _ends_inside(path, own):
                    links.append(f"{relative} {NOT_FOLLOWED}")
                elif path.suffix.lower() in SUFFIXES and _regular(path):
                    (top if depth == 0 else deeper).append(path)
                elif path.is_dir() and not _ends_inside(path, own):
                    links.append(f"{relative} {NOT_FOLLOWED}")
            elif path.suffix.lower() in SUFFIXES and entry.is_file(follow_symlinks=False):
                (top if depth == 0 else deeper).append(path)
        stack.extend(reversed(below))  # depth first, in name order, as os.walk went
    return top, deeper, links


def _ends_inside(path: Path, folder: Path) -> bool:
    """A link whose target exists and lies inside ``folder`` (already resolved)."""
    try:
        return path.resolve(strict=True).is_relative_to(folder)
    except (OSError, RuntimeError):  # a dangling link or a loop
        return False


def shown(text: str) -> str:
    """A name as a TA's terminal and a result may show it: control characters and bytes that are not
    UTF-8 written as escapes (a file name could otherwise clear the screen or break JSON)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _entries(folder: Path, root: Path) -> list[Path]:
    """The folder's entries that stay inside ``root`` (links out of it are dropped), sorted; no dot files."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [entry for entry in entries if not entry.name.startswith(".") and _inside(entry, root)]


def _inside(path: Path, root: Path) -> bool:
    if not path.is_symlink():
        return True
    try:
        return path.resolve(strict=True).is_relative_to(root)
    except (OSError, RuntimeError):  # a dangling link or a loop
        return False


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _read_small_file(path: Path, limit: int = 1024) -> str | None:
    """A regular file, not a link (a FIFO would block, a link could lead anywhere), at most ``limit`` bytes."""
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
        with path.open("rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError:
        return None

