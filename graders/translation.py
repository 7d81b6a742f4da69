"""Translated editions of a module: what in a notebook is text to translate, and putting a
translation in.

A notebook's translatable units are its markdown cells (one unit each, keyed by the cell
id) and the strings a learner reads inside its code cells: docstrings, and string literals
with words in them (``what=``, ``hint=``, printed labels, figure labels), keyed by the cell
id and the English string. Code, names and numbers are never touched, so the same answer
runs in every edition.

A translation is a gettext PO file per module and language (``i18n/<lang>/<id>.po``), read
and written with polib. PO is the format translators' tools (Poedit, Weblate, Lokalize)
edit; each entry keeps the English it translates (``msgid``), so a changed English cell no
longer matches its entry and is reported stale until the translation follows. A string in
code that should stay English is "translated" to itself.
"""
from __future__ import annotations

import ast
import copy
import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from .errors import AcademyError
from .files import atomic_write

CODE = "code"  # the context suffix of a code cell's strings
# A Python string literal: prefix, quotes, body (the source text between the quotes).
_LITERAL = re.compile(r"""(?P<prefix>[rRbBfFuU]{0,2})(?P<q>'''|\"\"\"|'|")(?P<body>(?:\\.|(?!(?P=q)).)*?)(?P=q)""",
                      re.DOTALL)
# Words a reader reads: two of them, or any letter beside non-ASCII text (θ, ², Korean).
_WORDS = re.compile(r"[A-Za-z]{2,}.*\s.*[A-Za-z]{2,}|[A-Za-z].*[^\x00-\x7f]|[^\x00-\x7f].*[A-Za-z]", re.DOTALL)


@dataclass(frozen=True)
class Unit:
    """One piece of English to translate: ``context`` is the cell id (markdown) or
    ``<cell id>/code`` (a string in that code cell), ``english`` the text as written."""

    context: str
    english: str


@dataclass
class Literal:
    """A reader-facing string literal in a code cell: where it is and its pieces."""

    start: int  # offsets in the cell's source
    end: int
    prefix: str  # "#" for a comment
    quote: str
    body: str  # as written between the quotes (escapes included), pieces joined

    def render(self, text: str) -> str:
        """This literal (or comment) with ``text`` in place of its body."""
        if self.prefix == "#":
            return f"# {text}"
        return f"{self.prefix}{self.quote}{text}{self.quote}"


def _offsets(source: str) -> list[int]:
    out, total = [0], 0
    for line in source.splitlines(keepends=True):
        total += len(line)
        out.append(total)
    return out


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                ids.add(id(body[0].value))
    return ids


def _skipped_nodes(tree: ast.AST) -> set[int]:
    """String nodes that are data, not text: subscripts, comparisons, dict keys (except the
    wordings of ``mistakes=``), f-string parts, and the arguments of calls that take names."""
    skip: set[int] = set()
    prose = _prose_keys(tree)
    mistakes_dicts = {id(k.value) for n in ast.walk(tree) if isinstance(n, ast.Call)
                      for k in n.keywords if k.arg == "mistakes"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            skip.update(id(n) for n in ast.walk(node.slice))
        elif isinstance(node, ast.Compare):
            skip.update(id(n) for n in [node.left, *node.comparators])
        elif isinstance(node, ast.Dict) and id(node) not in mistakes_dicts:
            skip.update(id(k) for k in node.keys if k is not None and id(k) not in prose)
        elif isinstance(node, ast.JoinedStr):  # its parts and the strings in its fields
            skip.update(id(v) for v in ast.walk(node) if v is not node)
        elif isinstance(node, ast.Call):
            if _call_name(node) in _NAME_TAKING:
                skip.update(id(a) for a in node.args)
            skip.update(id(k.value) for k in node.keywords if k.arg in _DATA_KEYWORDS)
    return skip


def _named_text(tree: ast.AST) -> set[int]:
    """Strings that are text whatever they look like: the values of text keywords, and what
    is printed or written on a figure (``print("counts:", c)``, ``ax.set_title(...)``)."""
    found = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Call):
            found.update(id(k.value) for k in n.keywords if k.arg in _TEXT_KEYWORDS)
            if _call_name(n) in _TEXT_CALLS:  # what is printed, even one word in an if/else
                found.update(id(c) for a in n.args for c in ast.walk(a)
                             if (isinstance(c, ast.Constant) and isinstance(c.value, str)
                                 and re.fullmatch(r"\s*[^\W\d_]{2,}:?\s*", c.value))
                             or (c is a and isinstance(c, (ast.Constant, ast.JoinedStr))
                                 and re.search(r"[A-Za-z]{2}", ast.unparse(c))))
    return found


def _prose_keys(tree: ast.AST) -> set[int]:
    """Dict keys that are sentences, not names: every key of the dict has three lower-case
    words or more (a figure's legend labels, a table of mistakes), so none is a name that
    code looks up (device names such as "IonQ Forte (Amazon Braket)" are not)."""
    found = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Dict) and n.keys and all(
                isinstance(k, ast.Constant) and isinstance(k.value, str)
                and len(re.findall(r"(?<![\w])[a-z]{2,}(?![\w])", k.value)) >= 3 for k in n.keys):
            found.update(id(k) for k in n.keys)
    return found


# Calls whose positional strings a reader reads: printed lines, figure titles and labels.
_TEXT_CALLS = {"print", "set_title", "set_xlabel", "set_ylabel", "suptitle", "title", "xlabel",
               "ylabel", "text", "annotate", "set_text"}


_NAME_TAKING = {"open", "Path", "getattr", "setattr", "hasattr", "rng", "seed", "variant",
                "read_csv", "loadtxt", "genfromtxt", "load", "import_module", "split", "join",
                "startswith", "endswith", "replace", "strip", "get", "pop", "astype"}


# Keyword arguments whose strings are settings, never text (matplotlib's loc="upper left").
_DATA_KEYWORDS = {"loc", "color", "colors", "c", "marker", "linestyle", "ls", "fmt", "ha", "va",
                  "cmap", "output", "style", "method", "kind", "unit", "dtype", "name", "key",
                  "sep", "end", "encoding", "mode", "family", "fontfamily", "backend", "basis_gates"}
_TEXT_KEYWORDS = {"what", "hint", "label", "title", "xlabel", "ylabel", "message", "suptitle"}


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


# nbgrader's markers and tool directives are not prose.
_NOT_PROSE = re.compile(r"#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)|YOUR CODE HERE|noqa|type:|pragma")


def comments(source: str) -> list[Literal]:
    """The comments of a code cell that are prose (two words or more)."""
    starts = _offsets(source)
    found = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type != tokenize.COMMENT or _NOT_PROSE.search(tok.string):
                continue
            body = tok.string.lstrip("#").strip()
            if _WORDS.search(body):
                start = starts[tok.start[0] - 1] + tok.start[1]
                found.append(Literal(start, start + len(tok.string), "#", "", body))
    except (tokenize.TokenError, SyntaxError):
        return []
    return found


def pieces(source: str) -> list[Literal]:
    """Everything to translate in a code cell, strings and comments, in source order."""
    return sorted(literals(source) + comments(source), key=lambda lit: lit.start)


def literals(source: str) -> list[Literal]:
    """The reader-facing string literals of a code cell, in source order. A cell that does
    not parse (IPython magics, a learner's syntax error) has none."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    docs, skip, starts = _docstring_nodes(tree), _skipped_nodes(tree), _offsets(source)
    docs |= _named_text(tree)
    found = []
    for node in ast.walk(tree):
        is_text = (isinstance(node, ast.Constant) and isinstance(node.value, str)) or \
            isinstance(node, ast.JoinedStr)
        if not is_text or id(node) in skip or node.end_lineno is None:
            continue
        start = starts[node.lineno - 1] + _col(source, starts, node.lineno, node.col_offset)
        end = starts[node.end_lineno - 1] + _col(source, starts, node.end_lineno, node.end_col_offset)
        literal = _literal(source[start:end], start, end)
        if literal and (id(node) in docs or _WORDS.search(_plain(literal))):
            found.append(literal)
    found.sort(key=lambda lit: lit.start)
    return [lit for i, lit in enumerate(found) if i == 0 or lit.start >= found[i - 1].end]


def _col(source: str, starts: list[int], lineno: int, col: int) -> int:
    """ast's column offsets count UTF-8 bytes; turn one into characters."""
    line = source[starts[lineno - 1]:starts[lineno]]
    return len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))


def _plain(literal: Literal) -> str:
    """The body without f-string fields, to see whether it has words."""
    body = literal.body.replace("\\n", " ")  # an escaped line break separates words too
    return re.sub(r"\{[^{}]*\}", " ", body) if "f" in literal.prefix.lower() else body


def _literal(segment: str, start: int, end: int) -> Literal | None:
    """One literal (or an implicit concatenation of literals of one kind) as a Literal."""
    pieces = list(_LITERAL.finditer(segment))
    if not pieces or any(p.group("prefix").lower().replace("f", "") != pieces[0].group("prefix").lower().replace("f", "")
                         for p in pieces):
        return None  # mixed raw and plain pieces: leave them alone
    gaps = [segment[a.end():b.start()] for a, b in zip(pieces, pieces[1:])]
    if any(g.strip() and not g.strip().startswith("#") for g in gaps):
        return None
    fstring = any("f" in p.group("prefix").lower() for p in pieces)
    bodies = []
    for p in pieces:
        body = p.group("body")
        if fstring and "f" not in p.group("prefix").lower():
            body = body.replace("{", "{{").replace("}", "}}")
        bodies.append(body)
    prefix = next(p.group("prefix") for p in pieces if not fstring or "f" in p.group("prefix").lower())
    return Literal(start, end, prefix, pieces[0].group("q"), "".join(bodies))


def cell_source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def units(nb) -> list[Unit]:
    """Every unit of a notebook, in notebook order, without repeats."""
    out: list[Unit] = []
    for cell in nb["cells"]:
        source, cid = cell_source(cell), cell.get("id")
        if not cid:
            raise AcademyError("a cell without an id: translations are keyed by cell ids "
                               "(run `nbformat`'s validator to add them)")
        if cell["cell_type"] == "markdown" and source.strip():
            out.append(Unit(cid, source))
        elif cell["cell_type"] == "code":
            for lit in pieces(source):
                unit = Unit(f"{cid}/{CODE}", lit.body)
                if unit not in out:
                    out.append(unit)
    return out


# ---------------------------------------------------------------------------------------------
# PO files


def po_path(root: Path, aid: str, lang: str) -> Path:
    return Path(root) / "i18n" / lang / f"{aid}.po"


def read_po(path: Path):
    import polib

    try:
        return polib.pofile(str(path), wrapwidth=0)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise AcademyError(f"{path}: not a readable PO file ({exc})") from None


@dataclass
class Status:
    """How far a module's translation is: units by state, and entries matching nothing."""

    aid: str
    lang: str
    translated: list[Unit] = field(default_factory=list)
    missing: list[Unit] = field(default_factory=list)   # no translation at all
    stale: list[Unit] = field(default_factory=list)     # the English changed (or fuzzy)
    obsolete: list[str] = field(default_factory=list)   # entries for English no longer there

    @property
    def complete(self) -> bool:
        return not (self.missing or self.stale or self.obsolete)


def _entries(po) -> dict[tuple[str, str], object]:
    return {(e.msgctxt or "", e.msgid): e for e in po if not e.obsolete}


def status(nb, po, aid: str, lang: str) -> Status:
    st = Status(aid, lang)
    entries = _entries(po)
    used = set()
    for unit in units(nb):
        entry = entries.get((unit.context, unit.english))
        if entry is not None:
            used.add((unit.context, unit.english))
        if entry is not None and entry.msgstr and "fuzzy" not in entry.flags:
            st.translated.append(unit)
        elif (entry is not None and "fuzzy" in entry.flags) or (entry is None and any(
                ctx == unit.context and e.msgstr for (ctx, _), e in entries.items())):
            st.stale.append(unit)  # translated once, but the English has changed since
        else:
            st.missing.append(unit)
    st.obsolete = sorted(f"{ctx}: {msgid[:60]!r}" for (ctx, msgid), e in entries.items()
                         if (ctx, msgid) not in used and e.msgstr)
    return st


def merged(nb, po, lang: str):
    """A new PO for the notebook's current units: translations kept where the English is
    the same; where it changed, the old translation kept as a starting point, marked fuzzy
    with the previous English beside it (as gettext's msgmerge does)."""
    import polib

    old = _entries(po)
    by_context: dict[str, list] = {}
    for (ctx, _), entry in old.items():
        by_context.setdefault(ctx, []).append(entry)
    out = polib.POFile(wrapwidth=0)
    out.metadata = dict(po.metadata) or {"Content-Type": "text/plain; charset=UTF-8",
                                         "Language": lang}
    current = units(nb)
    for unit in current:
        entry = old.get((unit.context, unit.english))
        if entry is not None:
            out.append(copy.copy(entry))
            continue
        new = polib.POEntry(msgctxt=unit.context, msgid=unit.english, msgstr="")
        gone = [e for e in by_context.get(unit.context, ())
                if (unit.context, e.msgid) not in {(u.context, u.english) for u in current}]
        if len(gone) == 1 and gone[0].msgstr:
            new.msgstr, new.previous_msgid = gone[0].msgstr, gone[0].msgid
            new.flags.append("fuzzy")
        out.append(new)
    return out


def write_po(po, path: Path) -> None:
    atomic_write(path, str(po) + "\n")
    path.chmod(0o644)


# ---------------------------------------------------------------------------------------------
# Putting a translation in


def translated(nb, po, aid: str, lang: str):
    """A copy of ``nb`` in ``lang``; AcademyError naming the units if the translation is not
    complete, or if a translated code cell no longer parses or lost an f-string field."""
    st = status(nb, po, aid, lang)
    if not st.complete:
        raise AcademyError(describe(st) + f"; run `academy translate {aid} --update` and "
                           f"translate i18n/{lang}/{aid}.po")
    table = {k: e.msgstr for k, e in _entries(po).items()}
    out = copy.deepcopy(nb)
    for cell in out["cells"]:
        source, cid = cell_source(cell), cell["id"]
        if cell["cell_type"] == "markdown" and source.strip():
            cell["source"] = table[(cid, source)]
        elif cell["cell_type"] == "code":
            cell["source"] = _translated_code(source, table, f"{cid}/{CODE}", aid)
    meta = out["metadata"].setdefault("academy", {})
    meta.update({"language": lang, "edition_of": aid})
    return out


def _translated_code(source: str, table: dict, context: str, aid: str) -> str:
    parts, last = [], 0
    for lit in pieces(source):
        korean = table[(context, lit.body)]
        if lit.prefix == "#" and "\n" in korean:
            raise AcademyError(f"i18n/{aid}: {context}: the translation of the comment "
                               f"{lit.body[:50]!r} must stay on one line")
        if _fields(korean) != _fields(lit.body) and "f" in lit.prefix.lower():
            raise AcademyError(f"i18n/{aid}: {context}: the translation of {lit.body[:50]!r} "
                               f"must keep the fields {sorted(_fields(lit.body))}")
        parts += [source[last:lit.start], lit.render(korean)]
        last = lit.end
    parts.append(source[last:])
    text = "".join(parts)
    try:
        ast.parse(text)
    except SyntaxError as exc:
        raise AcademyError(f"i18n/{aid}: {context}: the translated code does not parse "
                           f"(line {exc.lineno}: {exc.msg}); check quotes and escapes") from None
    return text


def _fields(body: str) -> list[str]:
    """An f-string body's fields, with the strings inside them blanked (a translation may
    translate ``{'over' if x else 'OK'}``'s words, not its code)."""
    fields = re.findall(r"(?<!\{)\{((?:[^{}]|\{[^{}]*\})*)\}(?!\})", body)
    return sorted(re.sub(r"'[^']*'|\"[^\"]*\"", "''", f) for f in fields)


def describe(st: Status) -> str:
    """One line: what a translation lacks."""
    bits = []
    for name, items in (("missing", st.missing), ("stale", st.stale)):
        if items:
            shown = ", ".join(sorted({u.context for u in items})[:6])
            bits.append(f"{len(items)} {name} ({shown}{'…' if len({u.context for u in items}) > 6 else ''})")
    if st.obsolete:
        bits.append(f"{len(st.obsolete)} obsolete")
    return f"i18n/{st.lang}/{st.aid}.po: " + ("; ".join(bits) if bits else "complete")
