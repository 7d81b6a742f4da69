"""The hub's settings, the JupyterHub configuration made from them, the folders and the
Python environment users run, and `academy hub` refusing what it cannot do (fast tests; the
real hub is tests/test_hub_e2e.py)."""
from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from graders.catalog import load_catalog
import yaml
from traitlets.config import Config

from graders.cli import main
from graders.errors import AcademyError
from graders.hub import accounts, config, layout, runtime
from graders.hub.settings import load_settings, parse_settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy" / "hub"


def settings(**changes):
    data = {"state_dir": "/srv/jupyterhub", "exchange": "/srv/nbgrader/exchange",
            "prefix": "/opt/academy",
            "courses": [{"id": "quantum-embark", "grader": "grader-qe",
                         "root": "/home/grader-qe/qe", "port": 9001,
                         "instructors": ["kim"], "students": ["s1", "s2"]},
                        {"id": "datacenter-academy", "grader": "grader-dc",
                         "root": "/home/grader-dc/dc", "port": 9002,
                         "instructors": ["park"], "students": ["s2", "s3"]}]}
    data.update(changes)
    return parse_settings(data)


def hub_config(s) -> Config:
    c = Config()
    config.configure_hub(c, s, DEPLOY)
    return c


def test_the_example_settings_load_and_configure_two_courses():
    s = load_settings(DEPLOY / "hub.yaml")
    assert [c.id for c in s.courses] == ["quantum-embark", "datacenter-academy"]
    c = hub_config(s)
    assert c.JupyterHub.authenticator_class == "pam"
    assert {svc["name"] for svc in c.JupyterHub.services} == {"quantum-embark", "datacenter-academy"}


def test_jupyterhub_config_py_runs_as_jupyterhub_loads_it(tmp_path, monkeypatch):
    """deploy/hub/jupyterhub_config.py with $ACADEMY_HUB_SETTINGS, executed the way
    JupyterHub does (a module namespace with get_config)."""
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(settings().model_dump(mode="json")))
    monkeypatch.setenv("ACADEMY_HUB_SETTINGS", str(path))
    c = Config()
    source = (DEPLOY / "jupyterhub_config.py").read_text()
    exec(compile(source, str(DEPLOY / "jupyterhub_config.py"), "exec"),
         {"get_config": lambda: c, "__file__": str(DEPLOY / "jupyterhub_config.py")})
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8000"
    assert c.Spawner.cmd == ["/opt/academy/bin/jupyterhub-singleuser"]


def test_each_course_has_a_formgrader_service_run_by_its_grader_account():
    c = hub_config(settings())
    qe = next(s for s in c.JupyterHub.services if s["name"] == "quantum-embark")
    assert qe["user"] == "grader-qe" and qe["cwd"] == "/home/grader-qe/qe"
    assert qe["url"] == "http://127.0.0.1:9001"
    assert qe["command"] == ["/opt/academy/bin/jupyterhub-singleuser"]
    env = qe["environment"]
    assert env["ACADEMY_COURSE_ID"] == "quantum-embark"
    assert env["ACADEMY_EXCHANGE"] == "/srv/nbgrader/exchange"
    assert env["JUPYTER_CONFIG_PATH"] == str(DEPLOY / "jupyter" / "formgrader")
    assert env["PATH"].startswith("/opt/academy/bin:")


def test_instructors_reach_only_their_course_formgrader_and_students_none():
    c = hub_config(settings())
    groups = c.JupyterHub.load_groups
    assert groups["formgrade-quantum-embark"]["users"] == ["kim", "grader-qe"]
    assert groups["nbgrader-quantum-embark"]["users"] == ["s1", "s2"]
    assert groups["nbgrader-datacenter-academy"]["users"] == ["s2", "s3"]  # s2 takes both
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["formgrade-quantum-embark"]["groups"] == ["formgrade-quantum-embark"]
    assert roles["formgrade-quantum-embark"]["scopes"] == ["access:services!service=quantum-embark"]
    # No role gives a student group any scope: students have the default `user` role only.
    assert not [r for r in roles.values() if any(g.startswith("nbgrader-") for g in r.get("groups", []))]
    service = roles["service-quantum-embark"]
    assert service["services"] == ["quantum-embark"]
    assert "admin:groups" not in service["scopes"] and "admin:users" not in service["scopes"]
    assert c.Authenticator.allowed_users == {"kim", "park", "s1", "s2", "s3", "grader-qe", "grader-dc"}


def test_each_users_server_gets_the_config_of_their_role():
    s = settings()
    for groups, role in ((["nbgrader-quantum-embark"], "student"),
                         (["formgrade-quantum-embark", "nbgrader-datacenter-academy"], "instructor")):
        spawner = SimpleNamespace(environment={"KEEP": "1"},
                                  user=SimpleNamespace(groups=[SimpleNamespace(name=g) for g in groups]))
        config.user_environment(s, DEPLOY, spawner)
        assert spawner.environment["JUPYTER_CONFIG_PATH"] == str(DEPLOY / "jupyter" / role)
        assert spawner.environment["KEEP"] == "1"
        assert spawner.environment["ACADEMY_EXCHANGE"] == "/srv/nbgrader/exchange"


def test_role_config_dirs_enable_the_right_nbgrader_extensions():
    """nbgrader's table (docs: "One Class, Multiple Graders"): students and instructors get the
    assignment list, only the formgrader service gets formgrader; only instructors the course list."""
    def enabled(role):
        data = json.loads((DEPLOY / "jupyter" / role / "jupyter_server_config.json").read_text())
        ext = data["ServerApp"]["jpserver_extensions"]
        return {k.rsplit(".", 1)[-1] for k, on in ext.items() if on}

    assert enabled("student") == {"assignment_list", "validate_assignment"}
    assert enabled("instructor") == {"assignment_list", "validate_assignment", "course_list"}
    assert enabled("formgrader") == {"formgrader", "validate_assignment"}
    for role in ("student", "instructor", "formgrader"):
        page = json.loads((DEPLOY / "jupyter" / role / "labconfig" / "page_config.json").read_text())
        off = set(page["disabledExtensions"])
        assert ("@jupyter/nbgrader:formgrader" in off) == (role != "formgrader")


@pytest.mark.parametrize("change, message", [
    ({"authenticator": "shared-password", "shared_password": "long-enough"}, None),
    ({"authenticator": "shared-password", "shared_password": "long-enough", "ip": "0.0.0.0"},
     "loopback only"),
    ({"authenticator": "shared-password"}, "needs shared_password"),
    ({"authenticator": "ldap"}, "authenticator"),
    ({"courses": []}, "courses"),
])
def test_settings_refuse_an_open_shared_password_and_say_why(change, message):
    if message is None:
        assert settings(**change).authenticator == "shared-password"
        return
    with pytest.raises(AcademyError, match=message):
        settings(**change)


def test_a_bad_course_is_one_line_naming_the_field():
    bad = settings().model_dump(mode="json")
    bad["courses"][1]["port"] = 9001
    with pytest.raises(AcademyError, match="own port"):
        parse_settings(bad)
    bad = settings().model_dump(mode="json")
    bad["courses"][0]["students"] = ["kim"]
    with pytest.raises(AcademyError, match="both instructor and student"):
        parse_settings(bad)
    bad["courses"][0]["students"] = ["Not A Unix Name"]
    with pytest.raises(AcademyError, match="courses.0: .*not a valid Unix user name"):
        parse_settings(bad)


def test_exchange_is_world_writable_with_the_sticky_bit(tmp_path):
    exchange = tmp_path / "srv" / "exchange"
    layout.prepare_exchange(exchange)
    assert stat.S_IMODE(exchange.stat().st_mode) == 0o1777
    layout.prepare_state(tmp_path / "state")
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700


def test_the_grader_gets_a_private_copy_of_only_its_course(tmp_path):
    me = pwd.getpwuid(os.getuid()).pw_name
    s = settings(courses=[{"id": "quantum-embark", "grader": me, "root": str(tmp_path / "qe"),
                           "port": 9001}])
    course = s.courses[0]
    assert layout.prepare_course(course, ROOT)
    assert stat.S_IMODE(course.root.stat().st_mode) == 0o700
    assert (course.root / "source" / "q01-qubits" / "q01-qubits.ipynb").is_file()
    assert (course.root / "release" / "q10-cloud").is_dir()
    assert not (course.root / "source" / "dc01-power").exists()  # the other course's
    # its Korean edition too, loadable as the course's catalog (the translation file is there)
    assert (course.root / "release" / "q01-qubits-ko" / "q01-qubits-ko.ipynb").is_file()
    assert (course.root / "i18n" / "ko" / "q01-qubits.po").is_file()
    assert not (course.root / "i18n" / "ko" / "dc01-power.po").exists()
    assert load_catalog(course.root).assignment("q01-qubits-ko").id == "q01-qubits-ko"
    assert (course.root / "courses").iterdir().__next__().name == "quantum-embark.yaml"
    assert not layout.prepare_course(course, ROOT)  # an existing course is left alone


def test_usable_by_all_sees_a_private_parent():
    top = Path(tempfile.mkdtemp(dir="/tmp"))  # pytest's tmp_path sits in a 0700 folder
    try:
        (top / "private" / "bin").mkdir(parents=True)
        exe = top / "private" / "bin" / "python"
        exe.write_text("#!/bin/sh\n")
        for path, mode in ((exe, 0o755), (top, 0o755), (top / "private", 0o700),
                           (top / "private" / "bin", 0o755)):
            os.chmod(path, mode)
        assert not runtime.usable_by_all(exe)
        os.chmod(top / "private", 0o755)
        assert runtime.usable_by_all(exe)
        os.chmod(exe, 0o750)
        assert not runtime.usable_by_all(exe)
    finally:
        shutil.rmtree(top)


def test_a_shim_environment_runs_this_venvs_packages_and_scripts(tmp_path):
    system = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    if not Path(system).exists():
        pytest.skip(f"no {system} to build a shim around")
    shim = runtime.build_shim(tmp_path / "env", system)
    done = subprocess.run([str(shim / "bin" / "python"), "-c",
                           "import sys, graders, nbgrader; print(sys.prefix)"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(shim)
    first = (shim / "bin" / "jupyterhub-singleuser").read_text().splitlines()[0]
    assert first == f"#!{shim / 'bin' / 'python'}"
    assert (shim / "share").resolve() == (Path(sys.prefix) / "share").resolve()


def test_hub_demo_needs_root_and_says_so_in_one_line(monkeypatch, capsys):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert main(["hub", "--demo", "--root", str(ROOT)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs root" in err[0]
    assert main(["hub", "--root", str(ROOT)]) == 2
    assert "--demo" in capsys.readouterr().err


def test_only_accounts_made_here_are_ever_removed():
    assert accounts.exists("root") and not accounts.ours("root")
    assert accounts.remove_user("root") is False  # an account we did not make is never touched
    assert not accounts.ours("no-such-account-here")
