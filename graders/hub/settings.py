"""The course hub's settings (deploy/hub/hub.yaml): who teaches and takes which course, where
the exchange is, how people log in. One pydantic model, so a typo is one clear line."""
from __future__ import annotations

import ipaddress
import re
import sys
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import AcademyError

COURSE_ID = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
# Debian's default NAME_REGEX for useradd, so every name here can be a real Unix account.
UNIX_NAME = r"^[a-z_][a-z0-9_-]{0,31}$"
UnixName = Field(pattern=UNIX_NAME)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HubCourse(Strict):
    """One course on the hub: its formgrader runs as a hub service named after the course, as
    the Unix account ``grader`` that owns the course directory ``root``."""
    id: str = Field(pattern=COURSE_ID)
    grader: str = UnixName
    root: Path
    port: int = Field(ge=1024, le=65535)  # the formgrader service listens on 127.0.0.1:port
    instructors: list[str] = []
    students: list[str] = []

    @model_validator(mode="after")
    def _names(self) -> "HubCourse":
        for name in [*self.instructors, *self.students]:
            if not re.match(UNIX_NAME, name):
                raise ValueError(f"{name!r} is not a valid Unix user name")
        both = set(self.instructors) & set(self.students)
        if both:
            raise ValueError(f"{sorted(both)[0]!r} is both instructor and student")
        if not self.root.is_absolute():
            raise ValueError("root must be an absolute path")
        return self

    @property
    def service(self) -> str:
        return self.id

    @property
    def instructor_group(self) -> str:
        return f"formgrade-{self.id}"  # the group names nbgrader's JupyterHubAuthPlugin reads

    @property
    def student_group(self) -> str:
        return f"nbgrader-{self.id}"


class HubSettings(Strict):
    ip: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    hub_port: int = Field(default=8081, ge=1, le=65535)  # the hub's own API, loopback only
    proxy_api_port: int = Field(default=8001, ge=1, le=65535)  # the proxy's API, loopback only
    state_dir: Path = Path("/srv/jupyterhub")  # hub database, cookie secret; root only
    exchange: Path = Path("/srv/nbgrader/exchange")
    # The Python environment with academy-graders installed, readable by every user: its
    # bin/ has jupyterhub-singleuser, nbgrader, alembic and the kernel.
    prefix: Path = Path(sys.prefix)
    authenticator: Literal["pam", "shared-password"] = "pam"
    shared_password: str | None = Field(default=None, min_length=8)
    proxy_command: list[str] | None = None  # configurable-http-proxy, if not on PATH
    courses: list[HubCourse] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "HubSettings":
        if self.authenticator == "shared-password":
            if not self.shared_password:
                raise ValueError("the shared-password authenticator needs shared_password")
            if not ipaddress.ip_address(self.ip).is_loopback:
                raise ValueError("the shared-password authenticator is for a trial on loopback "
                                 "only: set ip to 127.0.0.1 or use pam")
        ids = [c.id for c in self.courses]
        ports = [c.port for c in self.courses]
        if len(set(ids)) != len(ids) or len(set(ports)) != len(ports):
            raise ValueError("every course needs its own id and its own port")
        return self

    @property
    def users(self) -> list[str]:
        """Everyone who may log in (grader accounts run services; they do not log in)."""
        names = [n for c in self.courses for n in [*c.instructors, *c.students]]
        return sorted(set(names))

    @property
    def instructors(self) -> set[str]:
        return {n for c in self.courses for n in c.instructors}


def load_settings(path: Path | str) -> HubSettings:
    """Read and validate a hub settings file; every problem becomes one line."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AcademyError(f"{path}: cannot read hub settings ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise AcademyError(f"{path}: not valid YAML ({exc})") from None
    return parse_settings(data, str(path))


def parse_settings(data, where: str = "hub settings") -> HubSettings:
    try:
        return HubSettings.model_validate(data)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            field = ".".join(str(x) for x in e["loc"]) or "(top level)"
            problems.append(f"{where}: {field}: {e['msg']}")
        error = AcademyError(problems[0])
        error.problems = problems
        raise error from None
