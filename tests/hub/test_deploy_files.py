"""Static checks of deploy/: nothing here builds an image or talks to Docker or Kubernetes.

- the Zero to JupyterHub values load and use only keys the chart documents (lists below, from the
  chart's values reference, z2jh 3.x/4.x);
- the Dockerfile uses only known instructions and has what the grader needs;
- the shipped jupyterhub_config.py, loaded as it ships (DockerSpawner mode), asks Docker for GPUs.
"""

from __future__ import annotations

import os
import shlex
from typing import Any

import pytest
import yaml
from hub_support import ROOT, SHIPPED_CONFIG

DEPLOY = ROOT / "deploy"

Z2JH_TOP = {"fullnameOverride", "nameOverride", "enabled", "imagePullSecret", "imagePullSecrets", "custom",
            "hub", "proxy", "singleuser", "scheduling", "ingress", "prePuller", "cull", "debug", "rbac",
            "global"}
Z2JH_SECTIONS = {
    "hub": {"revisionHistoryLimit", "config", "service", "pdb", "existingSecret", "nodeSelector", "tolerations",
            "activeServerLimit", "allowNamedServers", "annotations", "authenticatePrometheus", "concurrentSpawnLimit",
            "consecutiveFailureLimit", "podSecurityContext", "containerSecurityContext", "deploymentStrategy",
            "db", "labels", "initContainers", "extraFiles", "services", "loadRoles", "shutdownOnLogout",
            "templatePaths", "templateVars", "livenessProbe", "readinessProbe", "namedServerLimitPerUser",
            "redirectToServer", "resources", "lifecycle", "lifecycleHooks", "baseUrl", "command", "args",
            "cookieSecret", "image", "networkPolicy", "serviceAccount", "extraConfig", "extraEnv",
            "extraContainers", "extraVolumes", "extraVolumeMounts", "extraPodSpec", "priorityClassName", "fsGid"},
    "proxy": {"chp", "secretToken", "annotations", "deploymentStrategy", "secretSync", "service", "https",
              "traefik", "labels", "pdb"},
    "singleuser": {"networkPolicy", "podNameTemplate", "cpu", "memory", "image", "imagePullSecret",
                   "imagePullPolicy", "extraAnnotations", "extraEnv", "extraLabels", "extraFiles",
                   "extraNodeAffinity", "extraPodAffinity", "extraPodAntiAffinity", "extraTolerations",
                   "extraContainers", "extraResource", "extraPodConfig", "allowPrivilegeEscalation",
                   "fsGid", "uid", "serviceAccountName", "storage", "lifecycleHooks", "initContainers",
                   "profileList", "startTimeout", "cmd", "defaultUrl", "events", "networkTools",
                   "nodeSelector", "cloudMetadata", "schedulerStrategy"},
    "scheduling": {"userScheduler", "podPriority", "userPlaceholder", "corePods", "userPods"},
    "prePuller": {"annotations", "labels", "resources", "extraTolerations", "hook", "continuous",
                  "pullProfileListImages", "extraImages", "containerSecurityContext", "pause",
                  "revisionHistoryLimit"},
    "cull": {"enabled", "users", "adminUsers", "removeNamedServers", "timeout", "every", "concurrency",
             "maxAge"},
}
KUBESPAWNER_OVERRIDES = {"image", "cpu_limit", "cpu_guarantee", "mem_limit", "mem_guarantee",
                         "extra_resource_limits", "extra_resource_guarantees", "tolerations", "node_selector",
                         "environment", "default_url", "image_pull_policy", "extra_pod_config"}
DOCKERFILE_INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
                           "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "z2jh-values.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_z2jh_values_use_only_documented_keys(values: dict[str, Any]) -> None:
    assert set(values) <= Z2JH_TOP
    for section, keys in Z2JH_SECTIONS.items():
        assert set(values.get(section, {})) <= keys, section
    for profile in values["singleuser"]["profileList"]:
        assert set(profile) <= {"display_name", "description", "default", "slug", "kubespawner_override",
                                "profile_options"}
        assert set(profile.get("kubespawner_override", {})) <= KUBESPAWNER_OVERRIDES


def test_z2jh_values_have_a_gpu_profile_and_the_service(values: dict[str, Any]) -> None:
    gpu = [p for p in values["singleuser"]["profileList"]
           if p.get("kubespawner_override", {}).get("extra_resource_limits", {}).get("nvidia.com/gpu")]
    assert gpu and gpu[0]["display_name"] == "GPU"
    hub = values["hub"]
    assert "autograder" in hub["services"]
    assert "access:services!service=autograder" in hub["loadRoles"]["user"]["scopes"]
    (grader,) = [c for c in hub["extraContainers"] if c["name"] == "autograder"]
    assert grader["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert "SYS_ADMIN" in grader["securityContext"]["capabilities"]["add"]
    assert grader["command"][1:4] == ["--", "autograder", "serve"]
    token = next(e for e in grader["env"] if e["name"] == "JUPYTERHUB_API_TOKEN")
    assert token["valueFrom"]["secretKeyRef"] == {"name": "hub", "key": "hub.services.autograder.apiToken"}
    mounts = {m["name"] for m in grader["volumeMounts"]}
    assert mounts <= {v["name"] for v in hub["extraVolumes"]}
    assert 10101 in [p["port"] for p in hub["service"]["extraPorts"]]


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = (pending + stripped).strip()
        pending = ""
        word, _, rest = whole.partition(" ")
        instructions.append((word, rest.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def test_dockerfile_parses_and_has_what_grading_needs() -> None:
    parsed = dockerfile_instructions((DEPLOY / "Dockerfile").read_text())
    words = [word for word, _ in parsed]
    assert set(words) <= DOCKERFILE_INSTRUCTIONS, set(words) - DOCKERFILE_INSTRUCTIONS
    assert all(word.isupper() for word in words)
    assert words[words.index("FROM") - 1] == "ARG" and set(words[: words.index("FROM")]) == {"ARG"}
    base = next(rest for word, rest in parsed if word == "ARG" and rest.startswith("BASE_IMAGE="))
    assert base.startswith("BASE_IMAGE=pytorch/pytorch:") and "cuda12" in base and "cudnn9-runtime" in base
    runs = " ".join(rest for word, rest in parsed if word == "RUN")
    assert "bubblewrap" in runs and "useradd" in runs and '.[service]' in runs
    user = [rest for word, rest in parsed if word == "USER"][-1]
    assert user not in ("root", "0")
    for word, rest in parsed:
        if word == "COPY":
            *sources, _dest = shlex.split(rest)
            assert all((ROOT / src).exists() for src in sources), rest
        if word in ("CMD", "ENTRYPOINT"):
            assert rest.startswith("["), "exec form, so that signals reach the process"


def _load_hub_config(monkeypatch: pytest.MonkeyPatch, **env: str) -> Any:
    from traitlets.config.loader import PyFileConfigLoader

    for name in [n for n in os.environ if n.startswith("AUTOGRADER_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return PyFileConfigLoader(SHIPPED_CONFIG.name, path=str(SHIPPED_CONFIG.parent)).load_config()


def test_shipped_hub_config_asks_docker_for_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    config = _load_hub_config(monkeypatch, AUTOGRADER_TA_USERS="tara, tom")
    assert config.JupyterHub.spawner_class == "dockerspawner.DockerSpawner"
    (request,) = config.DockerSpawner.extra_host_config["device_requests"]
    assert request["Capabilities"] == [["gpu"]] and request["Count"] == -1
    (service,) = config.JupyterHub.services
    command = service["command"]
    assert command[:2] == ["docker", "run"] and command[command.index("--gpus") + 1] == "all"
    assert command[command.index("--cap-add") + 1] == "SYS_ADMIN"
    assert command[-6:] == ["--host", "0.0.0.0", "--port", "10101", "--config", "/srv/course/course_config.py"]
    assert "JUPYTERHUB_API_TOKEN" in command  # passed through to the grading container
    assert config.JupyterHub.load_roles == [
        {"name": "user", "scopes": ["self", "access:services!service=autograder"]}]
    assert config.JupyterHub.load_groups == {"tas": {"users": ["tara", "tom"]}}
    assert "access:services!service=autograder" in config.Spawner.server_token_scopes


def test_shipped_hub_config_local_mode_and_bad_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    local = _load_hub_config(monkeypatch, AUTOGRADER_HUB_MODE="local", AUTOGRADER_SERVICE_PORT="12345",
                             AUTOGRADER_COURSE_DIR="/c")
    (service,) = local.JupyterHub.services
    assert service["url"] == "http://127.0.0.1:12345"
    assert service["command"][1:] == ["serve", "--config", "/c/course_config.py"]
    with pytest.raises(ValueError, match="docker or local"):
        _load_hub_config(monkeypatch, AUTOGRADER_HUB_MODE="kubernetes")


def test_shipped_hub_config_without_gpus_and_with_podman(monkeypatch: pytest.MonkeyPatch) -> None:
    # What tests/container/test_dockerspawner.py runs: a CPU-only site, podman, a hub outside a container.
    monkeypatch.delenv("CONTAINERS_CONF", raising=False)
    config = _load_hub_config(monkeypatch, AUTOGRADER_GPUS="none", AUTOGRADER_DOCKER_COMMAND="podman",
                              AUTOGRADER_SERVICE_CONTAINER="grader-1", AUTOGRADER_SERVICE_VOLUME="data-1",
                              AUTOGRADER_SERVICE_PUBLISH="127.0.0.1:18101", DOCKER_HOST="unix:///x.sock")
    assert config.DockerSpawner.extra_host_config == {}
    (service,) = config.JupyterHub.services
    command = service["command"]
    assert command[:2] == ["podman", "run"] and "--gpus" not in command
    assert command[command.index("--name") + 1] == "grader-1"
    assert command[command.index("--publish") + 1] == "127.0.0.1:18101:10101"
    assert "data-1:/srv/course/build" in command and "/srv/course:/srv/course:ro" in command
    assert service["url"] == "http://127.0.0.1:18101"
    assert service["environment"] == {"DOCKER_HOST": "unix:///x.sock"}
    # The flags the container tests and docs/deploy.md use for a grading container.
    assert "--user 0 --cap-add SYS_ADMIN --security-opt apparmor=unconfined" in " ".join(command)
    with pytest.raises(ValueError, match="all or none"):
        _load_hub_config(monkeypatch, AUTOGRADER_GPUS="2")
