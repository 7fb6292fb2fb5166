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
- **Links** are followed only when they end inside the folder the TA named.
- **Ids** are readable (unicode letters are kept) and distinct; a name that had to be changed (a
  character outside letters, digits and `` _.@+-'``, or longer than 120 bytes) gets ``~`` and 8 hex
  digits of its hash. Only submissions whose ids are equal are refused; the rest are graded.
- **Time**: nbgrader's ``timestamp.txt`` is read only from ``submitted/<student>/<assignment>/``,
  where the exchange writes it; otherwise the graded file's modification time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autograder.errors import BatchRefused
from autograder.late import parse_timestamp

SUFFIXES = (".ipynb", ".py")
SKIPPED_FOLDERS = (".ipynb_checkpoints", "__pycache__")
MAX_ID_BYTES = 120  # "<id>.json" and its temporary ".<id>.json.XXXXXXXX.tmp" stay far below NAME_MAX
ID_PUNCTUATION = " _.@+-'"
NOT_FOLLOWED = "(a link out of the folder, not followed)"
MAX_ENTRIES = 10_000  # files and folders looked at in one submission folder


@dataclass(frozen=True)
class Found:
    """One student's submission: the file to grade, or why there is none."""

    student_id: str
    path: Path | None
    folder: Path | None = None  # nbgrader's submitted/<student>/<assignment>/, else None
    base: Path | None = None  # the submission's folder in any layout (hidden from every sandbox)
    ignored: tuple[str, ...] = ()  # other notebooks and .py files in the folder, and links not followed
    problem: str = ""  # for the student: why nothing in the folder could be graded

    def submitted_at(self) -> dt.datetime | None:
        """The exchange's ``timestamp.txt`` of an nbgrader submission, else the file's modification time."""
        if self.folder is not None:
            stamp = _read_small_file(self.folder / "timestamp.txt")
            if stamp is not None:
                moment = parse_timestamp(stamp)
                if moment is not None:
                    return moment
        if self.path is None:
            return None
        try:
            return dt.datetime.fromtimestamp(self.path.stat().st_mtime, dt.UTC)
        except OSError:
            return None


@dataclass
class Collection:
    found: list[Found] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # one message per colliding id


def safe_id(raw: str) -> str:
    """A readable, file-safe student id; two different names never give one id unless they look alike.

    Kept as is: letters and digits of any script (NFC-normalised), and `` _.@+-'``. Anything else,
    a leading dot or space, or more than ``MAX_ID_BYTES`` turns into ``<kept part>~<8 hex of the name>``.
    """
    raw_bytes = raw.encode("utf-8", "surrogatepass")  # names that are not UTF-8 arrive surrogate-escaped
    text = unicodedata.normalize("NFC", raw_bytes.decode("utf-8", "replace"))
    cleaned = "".join(c if _id_char(c) else "_" for c in text).lstrip(". ").rstrip(" ")
    if cleaned == text and 0 < len(cleaned.encode()) <= MAX_ID_BYTES:
        return cleaned
    kept = cleaned.encode()[: MAX_ID_BYTES - 9].decode("utf-8", "ignore").rstrip(" ") or "unnamed"
    return f"{kept}~{hashlib.sha256(raw_bytes).hexdigest()[:8]}"


def _id_char(char: str) -> bool:
    return char in ID_PUNCTUATION or unicodedata.category(char)[0] in "LNM"


def id_from_file(path: Path) -> str:
    """A file named on its own: nbgrader's ``submitted/<student>/<assignment>/<file>``, else its stem."""
    folder = _nbgrader_folder(path)
    return safe_id(folder.parent.name if folder else path.stem)


def _nbgrader_folder(path: Path) -> Path | None:
    """``submitted/<student>/<assignment>/`` when ``path`` is a file right inside one."""
    parents = path.absolute().parents
    return path.parent if len(parents) >= 3 and parents[2].name == "submitted" else None


def collect(paths: Sequence[Path], *, sheet: str, notebook: str) -> Collection:
    """Every submission in ``paths``; a path that does not exist refuses the batch (nothing is graded)."""
    found: list[Found] = []
    for path in paths:
        if path.is_dir():
            found.extend(_folder(path, sheet=sheet, notebook=notebook))
        elif path.is_file():
            found.append(Found(id_from_file(path), path, folder=_nbgrader_folder(path)))
        else:
            raise BatchRefused(f"{path} does not exist or is not a file or folder (nothing was graded)")
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
            collection.refused.append(f"{len(entries)} submissions have the student id {sid!r} ({where}); "
                                      "none of them was graded: grade them in separate batches or rename one")
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
    top, deeper, links = _candidates(folder, root)
    by_name = {path.name: path for path in top}
    preferred = [notebook, f"{sheet}.ipynb", f"{assignment}.ipynb", f"{Path(notebook).stem}.py",
                 f"{sheet}.py", f"{assignment}.py"]
    chosen = next((by_name[name] for name in preferred if name in by_name), None)
    for pool in ([p for p in top if p.suffix.lower() == ".ipynb"], [p for p in top if p.suffix.lower() == ".py"],
                 top + deeper):
        if chosen is None and len(pool) == 1:
            chosen = pool[0]
    nbgrader = folder.parent.parent.name == "submitted"
    rest = sorted(shown(str(p.relative_to(folder))) for p in top + deeper if p != chosen)
    ignored = (*rest, *links)
    if chosen is None:
        what = ", ".join(ignored) if ignored else "none"
        problem = (f"no file to grade: put your notebook at the top of the folder as {notebook} "
                   f"(notebooks and .py files found: {what})")
        return Found(safe_id(student), None, folder=folder if nbgrader else None, base=folder,
                     ignored=ignored, problem=problem)
    return Found(safe_id(student), chosen, folder=folder if nbgrader else None, base=folder, ignored=ignored)


def _candidates(folder: Path, root: Path) -> tuple[list[Path], list[Path], list[str]]:
    """Notebooks and .py files at the top of ``folder`` and below it, and links that lead outside."""
    top: list[Path] = []
    deeper: list[Path] = []
    links: list[str] = []
    seen = 0
    for current, dirs, files in os.walk(folder, onerror=None, followlinks=False):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_FOLDERS)
        seen += len(files) + len(dirs)
        if seen > MAX_ENTRIES:  # a folder built to slow the batch down: what was found so far counts
            links.append(f"{shown(str(here.relative_to(folder)))}: stopped looking after {MAX_ENTRIES} entries")
            break
        for name in sorted(files):
            path = here / name
            if path.suffix.lower() not in SUFFIXES:
                continue
            if not _inside(path, root):
                links.append(f"{shown(str(path.relative_to(folder)))} {NOT_FOLLOWED}")
            elif _regular(path):
                (top if here == folder else deeper).append(path)
        for name in dirs:
            if (here / name).is_symlink() and not _inside(here / name, root):
                links.append(f"{shown(str((here / name).relative_to(folder)))} {NOT_FOLLOWED}")
    return top, deeper, links


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
