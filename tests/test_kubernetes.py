"""deploy/kubernetes: Zero to JupyterHub values, the single-user Dockerfile and the exchange
volume. Nothing here can run Kubernetes or Docker, and the chart's values.schema.json is not
in any package registry this machine reaches, so these tests lint what can be linted: the
YAML parses, every key path we use is one the chart defines (the names below are from the
chart's jupyterhub/values.schema.yaml), the scopes are ones JupyterHub knows, the Python in
hub.extraConfig compiles, and the Dockerfile copies files that exist."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from jupyterhub.scopes import _check_scopes_exist

from graders.hub.config import role_of

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "kubernetes"

# Key paths of the z2jh chart (4.x) this deployment may set; "*" is a free-form name
# (a role, an extraConfig snippet) or a traitlets mapping (hub.config) the chart passes on.
CHART_KEYS = {
    "hub": {"config": "*", "loadRoles": "*", "extraConfig": "*", "extraFiles": "*",
            "services": "*", "db": {"type": None, "pvc": "*", "url": None},
            "extraEnv": "*", "baseUrl": None},
    "singleuser": {"image": {"name": None, "tag": None, "pullPolicy": None, "pullSecrets": "*"},
                   "defaultUrl": None, "cmd": None, "extraEnv": "*", "uid": None, "fsGid": None,
                   "storage": {"type": None, "capacity": None, "homeMountPath": None,
                               "extraVolumes": "*", "extraVolumeMounts": "*",
                               "dynamic": "*", "static": "*", "extraLabels": "*"},
                   "cpu": {"limit": None, "guarantee": None},
                   "memory": {"limit": None, "guarantee": None},
                   "lifecycleHooks": "*", "initContainers": "*", "extraFiles": "*",
                   "profileList": "*", "networkPolicy": "*"},
    "proxy": {"https": {"enabled": None, "hosts": None, "type": None,
                        "letsencrypt": {"contactEmail": None}, "manual": "*", "secret": "*"},
              "service": "*", "chp": "*", "traefik": "*"},
    "scheduling": {"userScheduler": {"enabled": None}, "podPriority": "*",
                   "userPlaceholder": "*", "userPods": "*", "corePods": "*"},
    "cull": {"enabled": None, "timeout": None, "every": None, "users": None, "maxAge": None},
    "prePuller": "*", "ingress": "*", "imagePullSecrets": "*", "custom": "*", "debug": "*",
    "rbac": "*", "global": "*",
}


def unknown_keys(values, allowed, path="") -> list[str]:
    """Key paths in ``values`` that ``allowed`` does not list."""
    if allowed == "*" or not isinstance(values, dict):
        return []
    bad = []
    for key, value in values.items():
        where = f"{path}.{key}" if path else key
        if not isinstance(allowed, dict) or key not in allowed:
            bad.append(where)
        elif allowed[key] is not None:
            bad += unknown_keys(value, allowed[key], where)
    return bad


@pytest.fixture(scope="module")
def values():
    return yaml.safe_load((K8S / "values.yaml").read_text())


def test_values_use_only_keys_the_chart_defines(values):
    assert unknown_keys(values, CHART_KEYS) == []


def test_the_lint_catches_a_misspelt_key(values):
    wrong = {**values, "singleuser": {**values["singleuser"], "storge": {}}}
    assert unknown_keys(wrong, CHART_KEYS) == ["singleuser.storge"]


def test_role_scopes_are_real_jupyterhub_scopes(values):
    for name, role in values["hub"]["loadRoles"].items():
        assert re.fullmatch(r"[a-z][a-z0-9\-_~.]{1,253}[a-z0-9]", name)
        _check_scopes_exist(role["scopes"])  # raises on a scope JupyterHub does not know


def test_extra_config_is_python_and_picks_roles_like_the_one_machine_hub(values):
    snippets = values["hub"]["extraConfig"]
    namespace = {"c": type("C", (), {"KubeSpawner": type("K", (), {})()})()}
    for name, code in snippets.items():
        exec(compile(code, f"hub.extraConfig.{name}", "exec"), namespace)
    hook = namespace["c"].KubeSpawner.pre_spawn_hook

    class Spawner:
        def __init__(self, name, groups):
            self.environment = {}
            self.user = type("U", (), {"name": name, "groups": [type("G", (), {"name": g}) for g in groups]})

    for name, groups in (("kim", ["formgrade-quantum-embark"]), ("s1", ["nbgrader-quantum-embark"])):
        spawner = Spawner(name, groups)
        hook(spawner)
        assert spawner.environment["JUPYTER_CONFIG_PATH"].endswith(role_of(set(groups)))
    grader = Spawner("grader-quantum-embark", ["formgrade-quantum-embark"])
    hook(grader)
    assert grader.environment["ACADEMY_COURSE_ID"] == "quantum-embark"
    assert grader.environment["JUPYTER_CONFIG_PATH"].endswith("formgrader")
    uid = namespace["c"].KubeSpawner.uid
    assert uid(type("S", (), {"user": type("U", (), {"id": 7})})()) == 100007


def test_exchange_volume_is_mounted_where_nbgrader_looks(values):
    storage = values["singleuser"]["storage"]
    claim = storage["extraVolumes"][0]["persistentVolumeClaim"]["claimName"]
    pvc = yaml.safe_load((K8S / "exchange-pvc.yaml").read_text())
    assert pvc["metadata"]["name"] == claim
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    mount = storage["extraVolumeMounts"][0]["mountPath"]
    assert mount == values["singleuser"]["extraEnv"]["ACADEMY_EXCHANGE"]


def test_dockerfile_builds_from_this_repo_and_matches_the_values(values):
    text = (K8S / "Dockerfile").read_text()
    for line in re.findall(r"^COPY (.+)$", text, flags=re.M):
        *sources, _ = line.split()
        for src in sources:
            assert (ROOT / src).exists(), src
            assert src != "." and not src.startswith("source"), src  # never the solutions
    assert "jupyterhub-singleuser" in text and values["singleuser"]["cmd"] == "jupyterhub-singleuser"
    config_path = re.search(r"JUPYTER_CONFIG_PATH=(\S+)", text).group(1)
    assert config_path == "/etc/academy/jupyter/student"
    assert (ROOT / "deploy" / "hub" / "jupyter" / "student").is_dir()
