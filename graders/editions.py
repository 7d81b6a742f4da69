"""A module's editions: the English source and, for each translation a course offers
(``editions:`` in courses/*.yaml, with ``i18n/<lang>/<id>.po``), a generated source folder
``source/<id>-<lang>/`` that nbgrader releases, collects and grades like any assignment. Its code, grade ids, points and hidden tests are the English source's; only its
text differs, so grades mean the same in both and a student can move between them.

Generated folders are never edited by hand: `academy release` writes them from
``source/<id>/`` and ``i18n/<lang>/<id>.po``, and ``--check`` fails when one is out of date.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from . import translation
from .errors import AcademyError
from .language import LANGUAGES
from .notebooks import notebooks_in, read

# matplotlib reads ./matplotlibrc in the kernel's folder: Korean figure labels need a CJK font
# (Noto Sans CJK, Debian's fonts-noto-cjk); DejaVu Sans stays first for Latin text and math.
MATPLOTLIBRC = "font.family: DejaVu Sans, Noto Sans CJK KR, Noto Sans CJK JP, sans-serif\n" \
               "axes.unicode_minus: False\n"


@dataclass(frozen=True)
class Edition:
    aid: str   # the English module, e.g. "dc01-power"
    lang: str  # e.g. "ko"

    @property
    def id(self) -> str:
        return f"{self.aid}-{self.lang}"


def split(aid: str) -> tuple[str, str]:
    """(module, language) of an assignment id: "dc01-power-ko" -> ("dc01-power", "ko")."""
    base, _, suffix = aid.rpartition("-")
    if base and suffix in LANGUAGES and suffix != "en":
        return base, suffix
    return aid, "en"


def editions(root: Path) -> list[Edition]:
    """Every translated edition a course offers (its ``editions:``) that has a translation
    file and an English source. A translation file that no course offers yet is a draft:
    `academy translate` tracks it, but nothing is generated from it."""
    root = Path(root)
    offered = set()
    for path in sorted((root / "courses").glob("*.y*ml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue  # the catalog reports a broken course file
        for lang, ids in ((data.get("editions") or {}) if isinstance(data, dict) else {}).items():
            offered.update((aid, lang) for aid in ids or [] if isinstance(aid, str))
    return [Edition(aid, lang) for aid, lang in sorted(offered)
            if lang in LANGUAGES and lang != "en" and (root / "source" / aid).is_dir()
            and translation.po_path(root, aid, lang).is_file()]


def drafts(root: Path, lang: str) -> list[str]:
    """Modules with a translation file into ``lang`` that no course offers yet."""
    offered = {e.aid for e in editions(root) if e.lang == lang}
    return [po.stem for po in sorted(Path(root, "i18n", lang).glob("*.po"))
            if po.stem not in offered and (Path(root) / "source" / po.stem).is_dir()]


def is_generated(root: Path, aid: str) -> bool:
    base, lang = split(aid)
    return lang != "en" and Edition(base, lang) in editions(root)


def _english(root: Path, aid: str) -> Path:
    notebooks = notebooks_in(Path(root) / "source" / aid)
    if len(notebooks) != 1:
        raise AcademyError(f"source/{aid}: a translated module has exactly one notebook "
                           f"(found {len(notebooks)})")
    return notebooks[0]


def build(root: Path, edition: Edition, into: Path) -> Path:
    """Write the edition's source folder into ``into`` (a new folder); return it."""
    root = Path(root)
    english = _english(root, edition.aid)
    read(english)  # a corrupt source gets one clear line
    nb = json.loads(english.read_text(encoding="utf-8"))
    po = translation.read_po(translation.po_path(root, edition.aid, edition.lang))
    made = translation.translated(nb, po, edition.aid, edition.lang)
    shutil.copytree(english.parent, into,
                    ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", "__pycache__"))
    (into / f"{edition.id}.ipynb").write_text(nbformat.writes(nbformat.from_dict(made)) + "\n",
                                              encoding="utf-8")
    (into / "matplotlibrc").write_text(MATPLOTLIBRC, encoding="utf-8")
    return into


def sync(root: Path, check: bool = False, only: list[str] | None = None) -> list[str]:
    """Regenerate every edition's source folder (of the modules in ``only``, default all).
    With ``check`` nothing is written and the out-of-date paths are returned."""
    from .release import _differences, _replace

    root = Path(root).resolve()
    stale = []
    for edition in editions(root):
        if only is not None and edition.aid not in only and edition.id not in only:
            continue
        with tempfile.TemporaryDirectory(prefix="academy-edition-") as tmp:
            try:
                made = build(root, edition, Path(tmp) / edition.id)
            except AcademyError as exc:
                if not check:
                    raise
                stale.append(str(exc))  # an incomplete translation: named, not generated
                continue
            target = root / "source" / edition.id
            if check:
                stale += [f"source/{edition.id}/{n}" for n in _differences(made, target)]
            elif not target.exists() or _differences(made, target):
                _replace(made, target)
    return stale


def translation_status(root: Path, ids: list[str] | None = None, lang: str = "ko",
                       update: bool = False) -> list[translation.Status]:
    """How complete each module's translation into ``lang`` is (modules: ``ids``, default
    those with a translation file). With ``update`` each file is first brought up to date
    with its English (new units added empty, changed ones marked fuzzy with the old English
    kept beside them); ``ids`` naming a module without a file starts one."""
    from .release import source_ids

    root = Path(root)
    if lang not in LANGUAGES or lang == "en":
        raise AcademyError(f"unknown language {lang!r} (translations: "
                           f"{', '.join(x for x in LANGUAGES if x != 'en')})")
    english_ids = [a for a in source_ids(root) if split(a)[1] == "en"]
    for aid in ids or []:
        if aid not in english_ids:
            raise AcademyError(f"unknown module {aid!r}: no folder source/{aid} "
                               "(translate the English module, not an edition)")
    chosen = ids or sorted({*(e.aid for e in editions(root) if e.lang == lang), *drafts(root, lang)})
    out = []
    for aid in chosen:
        english = _english(root, aid)
        read(english)
        nb = json.loads(english.read_text(encoding="utf-8"))
        path = translation.po_path(root, aid, lang)
        import polib

        po = translation.read_po(path) if path.is_file() else polib.POFile(wrapwidth=0)
        if update:
            po = translation.merged(nb, po, lang)
            translation.write_po(po, path)
        out.append(translation.status(nb, po, aid, lang))
    return out
