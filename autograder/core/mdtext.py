"""Student text as inert markdown: every markdown renderer of the project escapes through here.

``md_text`` for one line (whitespace collapsed), ``md_block`` for printed output and messages kept
line for line, ``case_markdown`` for one check (Gradescope's per-test ``output``).
"""

from __future__ import annotations

import html
import re

from autograder.core.results import CaseResult

__all__ = ["case_markdown", "md_block", "md_text"]


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # emphasis, code, links, tables, strikethrough


def md_text(text: object) -> str:
    """``text`` (possibly the student's) as inert markdown: HTML escaped, markdown syntax escaped."""
    escaped = html.escape(str(text), quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(escaped.split()))


_MD_INLINE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;",
                            **{c: "\\" + c for c in "\\`*_[]|~!{}"}})
_MD_LINE_START = re.compile(r"^([#>+=-]|\d+[.)])")


def md_block(text: str) -> str:
    """Multi-line ``text`` (the student's) as inert markdown, line for line: HTML and markdown syntax
    escaped everywhere (no tag, entity, link, emphasis, code span, heading, list or quote can start
    in it), indentation kept, lines joined by hard line breaks. Unlike a code fence, whose content
    a renderer passes on verbatim, nothing here depends on the renderer honouring the fence."""
    lines = []
    for line in text.expandtabs(4).splitlines():
        body = line.lstrip(" ")
        escaped = _MD_LINE_START.sub(lambda m: "\\" + m.group(0) if len(m.group(0)) == 1
                                     else m.group(0)[:-1] + "\\" + m.group(0)[-1], body.translate(_MD_INLINE))
        lines.append("&nbsp;" * (len(line) - len(body)) + escaped)
    return "  \n".join(lines)


def case_markdown(case: CaseResult) -> str:
    """One check's message and printed output as inert markdown (Gradescope's per-test ``output``)."""
    parts = [md_block(case.output)] if case.output else []
    if case.student_output:
        parts.append("**Your code printed:**\n\n" + md_block(case.student_output))
    return "\n\n".join(parts)
