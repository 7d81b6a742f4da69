"""A Python environment every hub user can run.

Each user's server runs as that user, so the interpreter, the packages and the scripts must
be readable and executable by everyone. A venv made from a system Python (/usr/bin/python3)
already is. A venv made from a Python under a private home (pyenv in /root, mode 0700) is not:
for that case ``shared_prefix`` builds a small environment around the system Python of the
same version that reuses this venv's packages (same major.minor, so the same ABI) instead of
installing them again. Nothing in the original venv is changed.
"""
from __future__ import annotations

import os
import shutil
import stat
import sys
import sysconfig
from pathlib import Path

from ..errors import AcademyError

SYSTEM_BIN = "/usr/local/bin:/usr/bin:/bin"


def usable_by_all(path: Path) -> bool:
    """Every folder above ``path`` is searchable by others and ``path`` is readable (and,
    for a file, executable) by them."""
    path = Path(path).resolve()
    for folder in path.parents:
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return False
    mode = os.stat(path).st_mode
    need = stat.S_IROTH | (stat.S_IXOTH if path.is_dir() or os.access(path, os.X_OK) else 0)
    return mode & need == need


def _shebang_target(script: Path) -> bool:
    """A console script written by pip for this venv (first line: #!<this venv's python>)."""
    try:
        with open(script, "rb") as fh:
            first = fh.readline(512)
    except OSError:
        return False
    return first.startswith(b"#!") and first[2:].strip().startswith(sys.prefix.encode())


def build_shim(target: Path, python: str) -> Path:
    """A venv at ``target`` around ``python`` that imports this venv's packages and has its
    console scripts (their first line pointed at the new interpreter)."""
    site = Path(sysconfig.get_paths()["purelib"])
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    shutil.rmtree(target, ignore_errors=True)
    (target / "bin").mkdir(parents=True)
    (target / "lib" / version / "site-packages").mkdir(parents=True)
    (target / "pyvenv.cfg").write_text(f"home = {Path(python).parent}\n"
                                       "include-system-site-packages = false\n")
    for name in ("python", "python3", version):
        (target / "bin" / name).symlink_to(python)
    # A .pth line that starts with "import" runs at start-up: add this venv's site-packages
    # with its own .pth files (the editable install of `graders` is one).
    (target / "lib" / version / "site-packages" / "academy-shared.pth").write_text(
        f"import site; site.addsitedir({str(site)!r})\n")
    for name in ("share", "etc"):  # Jupyter finds extensions and their config under sys.prefix
        if (Path(sys.prefix) / name).exists():
            (target / name).symlink_to(Path(sys.prefix) / name)
    for script in Path(sys.prefix, "bin").iterdir():
        if script.is_file() and not script.is_symlink() and _shebang_target(script):
            body = script.read_bytes().split(b"\n", 1)[1]
            new = target / "bin" / script.name
            new.write_bytes(f"#!{target / 'bin' / 'python'}\n".encode() + body)
            new.chmod(0o755)
    for folder, dirs, files in os.walk(target):
        os.chmod(folder, 0o755)
    return target


def shared_prefix(scratch: Path) -> Path:
    """This venv if every user can run it, else a shim under ``scratch`` (see module doc)."""
    if usable_by_all(Path(sys.executable)) and usable_by_all(Path(sys.prefix)):
        return Path(sys.prefix)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = shutil.which(version, path=SYSTEM_BIN)
    if system is None or not usable_by_all(Path(system)):
        raise AcademyError(f"the Python at {Path(sys.executable).resolve()} cannot be run by "
                           f"other users and no system {version} was found: make the course's "
                           f"venv from a system Python (e.g. /usr/bin/{version} -m venv "
                           "/opt/academy) and install academy-graders there")
    if not usable_by_all(Path(sysconfig.get_paths()["purelib"])):
        raise AcademyError(f"{sysconfig.get_paths()['purelib']} is not readable by other users")
    return build_shim(Path(scratch), system)
