"""The language a learner reads: which one, and the Korean of the grader's own messages.

A notebook's language is in its metadata (``metadata.academy.language``, "en" when absent),
never the machine's locale. Where the code runs decides how it is found:

- the grader (`academy grade`, `academy check`) knows the notebook, and either sets
  ``ACADEMY_LANGUAGE`` for the kernel it starts or judges inside :func:`using`;
- a learner's kernel in JupyterLab is told its notebook by jupyter_server (``JPY_SESSION_NAME``);
- nbval and other runners start the kernel in the notebook's folder: a folder holding one
  notebook names it.

Messages are English templates with ``{named}`` fields, written in the code with :func:`t`.
Their Korean lives in ``graders/locale/<language>/messages.po`` (gettext PO, read with
polib): a standard format that translators' tools read, with a context and a flag for a
translation whose English changed (``fuzzy``).
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import os
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("en", "ko")
DEFAULT = "en"
LANGUAGE_ENV = "ACADEMY_LANGUAGE"
SESSION_ENV = "JPY_SESSION_NAME"  # set by jupyter_server for a notebook's kernel
LOCALE = Path(__file__).parent / "locale"

_chosen: contextvars.ContextVar[str | None] = contextvars.ContextVar("academy_language", default=None)


def of_notebook(nb) -> str:
    """The language of a notebook (a dict or NotebookNode): its metadata, else English."""
    meta = (nb.get("metadata") or {}).get("academy") or {}
    lang = meta.get("language") or DEFAULT
    return lang if lang in LANGUAGES else DEFAULT


@lru_cache(maxsize=16)
def _of_file(path: str, mtime: float) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return of_notebook(json.load(fh))
    except (OSError, ValueError, AttributeError):
        return DEFAULT


def of_path(path: Path | str) -> str:
    """The language of the notebook file at ``path`` (English if it cannot be read)."""
    try:
        return _of_file(str(path), os.stat(path).st_mtime)
    except OSError:
        return DEFAULT


def _found_here() -> str:
    session = os.environ.get(SESSION_ENV)
    if session and session.endswith(".ipynb"):
        path = Path(session)
        for candidate in (path, Path.cwd() / path.name):
            if candidate.is_file():
                return of_path(candidate)
    try:
        notebooks = [p for p in Path.cwd().glob("*.ipynb") if not p.name.startswith(".")]
    except OSError:
        return DEFAULT
    return of_path(notebooks[0]) if len(notebooks) == 1 else DEFAULT


def current() -> str:
    """The language messages are written in now."""
    lang = _chosen.get() or os.environ.get(LANGUAGE_ENV) or _found_here()
    return lang if lang in LANGUAGES else DEFAULT


@contextlib.contextmanager
def using(lang: str):
    """Write messages in ``lang`` inside the block (the grader, judging one submission)."""
    token = _chosen.set(lang if lang in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _chosen.reset(token)


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """English template -> its translation in ``lang`` (untranslated and fuzzy ones left out)."""
    path = LOCALE / lang / "messages.po"
    if lang == DEFAULT or not path.is_file():
        return {}
    import polib

    return {e.msgid: e.msgstr for e in polib.pofile(str(path))
            if e.msgstr and not e.obsolete and "fuzzy" not in e.flags}


def t(template: str, **fields) -> str:
    """``template`` in the current language, its ``{fields}`` filled in."""
    text = catalog(current()).get(template, template) if current() != DEFAULT else template
    return text.format(**fields) if fields else text
