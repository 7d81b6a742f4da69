"""`academy release`: make release/<id>/ from source/<id>/ through nbgrader, after generating
the translated editions' source folders (graders/editions.py).

nbgrader writes into a scratch course directory; release/<id>/ is then replaced in one rename,
so an interrupted release never leaves a half-written folder. ``--check`` makes the same
scratch release and compares it file by file with the committed one.
"""
from __future__ import annotations

import filecmp
import shutil
import tempfile
from pathlib import Path

from .course_config import course_config, failure, nbgrader_api
from .errors import AcademyError
from .notebooks import notebooks_in, read


def source_ids(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "source").iterdir()
                  if p.is_dir() and not p.name.startswith("."))


def _generate(root: Path, aid: str, scratch: Path) -> Path:
    """Run nbgrader's generate_assignment for one id inside ``scratch``; return the folder."""
    for nb in notebooks_in(root / "source" / aid):
        read(nb)  # a corrupt source notebook gets one clear line, not nbgrader's traceback
    shutil.copytree(root / "source" / aid, scratch / "source" / aid,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    config = course_config(scratch)
    config.GenerateAssignment.no_database = True  # as `--no-db`: release/ never needs a gradebook
    config.SaveCells.enabled = False
    result = nbgrader_api(config).generate_assignment(aid, force=True, create=False)
    if not result["success"]:
        raise AcademyError(f"source/{aid}: nbgrader could not release it: {failure(result)}")
    return scratch / "release" / aid


def _files(folder: Path) -> set[str]:
    if not folder.is_dir():
        return set()
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _differences(made: Path, committed: Path) -> list[str]:
    """Relative paths that are missing, extra, or different in ``committed``."""
    new, old = _files(made), _files(committed)
    changed = {n for n in new & old if not filecmp.cmp(made / n, committed / n, shallow=False)}
    return sorted((new ^ old) | changed)


def release(root: Path, ids: list[str] | None = None, check: bool = False,
            progress=lambda aid: None) -> list[str]:
    """Release ``ids`` (default: all of source/). With ``check`` nothing is written and the
    out-of-date paths under release/ are returned; otherwise the released ids are."""
    from .editions import editions, sync

    root = Path(root).resolve()
    known = source_ids(root)
    for aid in ids or []:
        if aid not in known:
            raise AcademyError(f"unknown assignment {aid!r}: no folder source/{aid}")
    # A module's translated editions are generated from it first, and released with it.
    ids = ids and sorted({*ids, *(e.id for e in editions(root) if e.aid in ids)})
    stale: list[str] = sync(root, check=check, only=ids or None)
    known = source_ids(root)
    for aid in ids or known:
        if check and not (root / "source" / aid).is_dir():
            continue  # an edition not generated yet: reported by sync above
        progress(aid)
        with tempfile.TemporaryDirectory(prefix="academy-release-") as tmp:
            made = _generate(root, aid, Path(tmp))
            target = root / "release" / aid
            if check:
                stale += [f"release/{aid}/{n}" for n in _differences(made, target)]
                continue
            _replace(made, target)
    return stale if check else list(ids or known)


def _replace(made: Path, target: Path) -> None:
    """Swap ``made`` in for ``target`` with renames, so no half-written folder is ever seen."""
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(f".{target.name}.new")
    outgoing = target.with_name(f".{target.name}.old")
    for stale in (incoming, outgoing):
        shutil.rmtree(stale, ignore_errors=True)
    shutil.copytree(made, incoming)
    if target.exists():
        target.rename(outgoing)
    incoming.rename(target)
    shutil.rmtree(outgoing, ignore_errors=True)
