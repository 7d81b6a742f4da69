"""Turn hub settings into a JupyterHub configuration (deploy/hub/jupyterhub_config.py calls
``configure_hub``): real Unix users, one formgrader service per course, and roles so that
instructors reach their course's formgrader and students only their own server.

The layout follows nbgrader's "Multiple Classes" guide (nbgrader docs, configuration/
jupyterhub_config.rst): per course a grader account runs the formgrader as a hub service
named after the course, instructors are in ``formgrade-<course>``, students in
``nbgrader-<course>``, and nbgrader's JupyterHubAuthPlugin reads those groups to decide which
courses' assignments each person sees. JupyterHub 2+ replaced the old ``--group`` flag with
scopes, so access to a service is the ``access:services!service=<course>`` scope.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

from .settings import HubCourse, HubSettings

# What a single-user server's own token may do: the server role's two scopes (JupyterHub's
# default) plus reading its owner's groups, which JupyterHubAuthPlugin needs to list the
# owner's courses.
SERVER_TOKEN_SCOPES = ["users:activity!user", "access:servers!server",
                       "read:users:name!user", "read:users:groups!user"]
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def jupyter_config_dir(deploy: Path, role: str) -> str:
    """deploy/hub/jupyter/<role>: the extensions and nbgrader settings of that role."""
    return str(Path(deploy) / "jupyter" / role)


def base_environment(s: HubSettings) -> dict[str, str]:
    return {"ACADEMY_EXCHANGE": str(s.exchange),
            "PATH": f"{s.prefix / 'bin'}:{SYSTEM_PATH}"}  # nbgrader runs `alembic` from PATH


def role_of(groups: set[str]) -> str:
    """An instructor of any course gets the instructor's extensions; everyone else a student's."""
    return "instructor" if any(g.startswith("formgrade-") for g in groups) else "student"


def user_environment(s: HubSettings, deploy: Path, spawner) -> None:
    """pre_spawn_hook: point the user's server at the config directory of their role."""
    role = role_of({g.name for g in spawner.user.groups})
    spawner.environment = {**spawner.environment, **base_environment(s),
                           "JUPYTER_CONFIG_PATH": jupyter_config_dir(deploy, role)}


def service(s: HubSettings, course: HubCourse, deploy: Path) -> dict:
    """The course's formgrader: a jupyterhub-singleuser server run by the hub as the grader
    account, in the course directory (where the course's nbgrader_config.py is)."""
    return {
        "name": course.service,
        "url": f"http://127.0.0.1:{course.port}",
        "command": [str(s.prefix / "bin" / "jupyterhub-singleuser")],
        "user": course.grader,
        "cwd": str(course.root),
        "oauth_no_confirm": True,
        "display": True,
        "environment": {
            **base_environment(s),
            "JUPYTER_CONFIG_PATH": jupyter_config_dir(deploy, "formgrader"),
            "ACADEMY_COURSE_ID": course.id,
            # nbgrader's JupyterHubAuthPlugin names the caller from JUPYTERHUB_USER, which the
            # hub sets for users' servers but not for services.
            "JUPYTERHUB_USER": course.grader,
        },
    }


def roles(s: HubSettings) -> list[dict]:
    out = []
    for course in s.courses:
        out.append({"name": f"formgrade-{course.id}",
                    "description": f"instructors of {course.id}: its formgrader",
                    "groups": [course.instructor_group],
                    "scopes": [f"access:services!service={course.service}"]})
        # The formgrader adds students it is given to the course's student group (nbgrader's
        # JupyterHubAuthPlugin), and nothing else.
        out.append({"name": f"service-{course.id}",
                    "description": f"the {course.id} formgrader service",
                    "services": [course.service],
                    "scopes": ["list:groups", f"read:groups!group={course.student_group}",
                               f"groups!group={course.student_group}",
                               f"read:users:groups!group={course.student_group}",
                               f"read:users:groups!group={course.instructor_group}"]})
    return out


def groups(s: HubSettings) -> dict[str, dict]:
    out = {}
    for course in s.courses:
        # The grader account is a hub user in the instructors' group, as in nbgrader's guide:
        # the formgrader asks the hub for its own groups to know which course it serves.
        out[course.instructor_group] = {"users": [*course.instructors, course.grader]}
        out[course.student_group] = {"users": list(course.students)}
    return out


def configure_hub(c, s: HubSettings, deploy: Path) -> None:
    """Fill JupyterHub's traitlets config ``c`` from the settings ``s``; ``deploy`` is the
    folder with the per-role Jupyter config directories (deploy/hub)."""
    deploy = Path(deploy).resolve()
    c.JupyterHub.bind_url = f"http://{s.ip}:{s.port}"
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = s.hub_port
    c.JupyterHub.db_url = f"sqlite:///{s.state_dir / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(s.state_dir / "jupyterhub_cookie_secret")
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.proxy_api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(s.state_dir / "jupyterhub-proxy.pid")
    if s.proxy_command:
        c.ConfigurableHTTPProxy.command = list(s.proxy_command)
    if s.authenticator == "shared-password":
        c.JupyterHub.authenticator_class = "shared-password"
        c.SharedPasswordAuthenticator.user_password = s.shared_password
    else:
        c.JupyterHub.authenticator_class = "pam"
    # Grader accounts are hub users (see groups) but have no password, so with PAM they
    # cannot log in; people in their course's formgrade group reach their service.
    c.Authenticator.allowed_users = set(s.users) | {course.grader for course in s.courses}
    c.JupyterHub.spawner_class = "localprocess"  # each user's server runs as their Unix account
    c.Spawner.cmd = [str(s.prefix / "bin" / "jupyterhub-singleuser")]
    c.Spawner.default_url = "/tree"  # Notebook 7's file browser, with nbgrader's Assignments tab
    c.Spawner.server_token_scopes = SERVER_TOKEN_SCOPES
    c.Spawner.pre_spawn_hook = partial(user_environment, s, deploy)
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 120
    c.JupyterHub.load_groups = groups(s)
    c.JupyterHub.load_roles = roles(s)
    c.JupyterHub.services = [service(s, course, deploy) for course in s.courses]
    c.JupyterHub.cleanup_servers = True  # stopping the hub stops every server it started
