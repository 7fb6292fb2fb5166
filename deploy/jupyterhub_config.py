"""JupyterHub for the course: DockerSpawner with GPUs, and the grading service as a managed service.

What ships (``AUTOGRADER_HUB_MODE`` unset or ``docker``): the hub runs in a container on a Docker
network; every student's server is a container of the GPU image (one Docker ``DeviceRequest`` with
capabilities ``[["gpu"]]``); the grading service is started by the hub as a managed service whose
command is ``docker run --gpus all ... autograder serve`` (the CLI's ``--gpus`` is the same
``DeviceRequest``), so grading runs in its own GPU container with ``CAP_SYS_ADMIN`` for the sandbox's
namespaces (see docs/security.md and docs/deploy.md).

``AUTOGRADER_HUB_MODE=local`` swaps only the environment-specific parts: the spawner (local
processes), the service command (``autograder serve`` on this machine) and addresses. The integration
test (tests/hub/) loads this very file that way. Every setting a site changes is an environment
variable, read here and nowhere else:

====================================  ==========================================================
``AUTOGRADER_HUB_MODE``               ``docker`` (default) or ``local``
``AUTOGRADER_SERVICE_NAME``           service name = ``config.service.name`` (``autograder``)
``AUTOGRADER_TA_GROUP``               hub group of TAs, one of ``config.service.ta_groups`` (``tas``)
``AUTOGRADER_TA_USERS``               comma-separated TAs put into that group at start-up
``AUTOGRADER_COURSE_DIR``             folder with ``course_config.py`` (``/srv/course``)
``AUTOGRADER_IMAGE``                  the grading / single-user image (``autograder-gpu:latest``)
``AUTOGRADER_DOCKER_NETWORK``         Docker network of hub, servers and grader (``jupyterhub``)
``AUTOGRADER_HUB_IP``, ``_HUB_PORT``  public proxy address (``0.0.0.0:8000``)
``AUTOGRADER_HUB_API_PORT``           the hub's own port (``8081``)
``AUTOGRADER_SERVICE_PORT``           the grading service's port (``10101``)
``AUTOGRADER_HUB_DATA``               hub database and cookie secret folder (``/srv/jupyterhub``)
``AUTOGRADER_HUB_AUTHENTICATOR``      authenticator class (e.g. ``dummy`` for tests; default PAM)
``AUTOGRADER_PROXY_COMMAND``          configurable-http-proxy command (JSON list) when not on PATH
``AUTOGRADER_HUB_HOST``               how containers reach the hub and proxy (``jupyterhub``)
``AUTOGRADER_GPUS``                   GPUs for servers and grader: ``all`` (default) or ``none``
``AUTOGRADER_DOCKER_COMMAND``         the CLI that starts the grading container (``docker``; ``podman``)
``AUTOGRADER_SERVICE_CONTAINER``      the grading container's name (``autograder-grader``)
``AUTOGRADER_SERVICE_VOLUME``         its volume for the database and submissions (``autograder-data``)
``AUTOGRADER_SERVICE_PUBLISH``        ``ADDRESS:PORT`` to publish the grader on, for a hub that runs
                                      outside a container (unset: the proxy reaches it by name)
====================================  ==========================================================

The hub process passes ``DOCKER_HOST`` and ``CONTAINERS_CONF`` on to the grading container's CLI
(podman's Docker-compatible socket, tests/container/test_dockerspawner.py).
"""

from __future__ import annotations

import json
import os
import sys

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - provided by traitlets' config loader

env = os.environ.get
MODE = env("AUTOGRADER_HUB_MODE", "docker")
if MODE not in ("docker", "local"):
    raise ValueError(f"AUTOGRADER_HUB_MODE must be docker or local, not {MODE!r}")
SERVICE = env("AUTOGRADER_SERVICE_NAME", "autograder")
TA_GROUP = env("AUTOGRADER_TA_GROUP", "tas")
TA_USERS = [name.strip() for name in env("AUTOGRADER_TA_USERS", "").split(",") if name.strip()]
COURSE_DIR = env("AUTOGRADER_COURSE_DIR", "/srv/course")
IMAGE = env("AUTOGRADER_IMAGE", "autograder-gpu:latest")
NETWORK = env("AUTOGRADER_DOCKER_NETWORK", "jupyterhub")
HUB_DATA = env("AUTOGRADER_HUB_DATA", "/srv/jupyterhub")
SERVICE_PORT = int(env("AUTOGRADER_SERVICE_PORT", "10101"))
GPUS = env("AUTOGRADER_GPUS", "all")
if GPUS not in ("all", "none"):
    raise ValueError(f"AUTOGRADER_GPUS must be all or none, not {GPUS!r}")
SERVICE_CONTAINER = env("AUTOGRADER_SERVICE_CONTAINER", "autograder-grader")
PUBLISH = env("AUTOGRADER_SERVICE_PUBLISH", "")

# The one device request of every GPU container: all GPUs the host gives the container.
GPU_REQUEST = {"Driver": "", "Count": -1, "Capabilities": [["gpu"]]}

# ---------------------------------------------------------------- hub and proxy

c.JupyterHub.ip = env("AUTOGRADER_HUB_IP", "0.0.0.0" if MODE == "docker" else "127.0.0.1")
c.JupyterHub.port = int(env("AUTOGRADER_HUB_PORT", "8000"))
c.JupyterHub.hub_port = int(env("AUTOGRADER_HUB_API_PORT", "8081"))
c.JupyterHub.db_url = f"sqlite:///{os.path.join(HUB_DATA, 'jupyterhub.sqlite')}"
c.JupyterHub.cookie_secret_file = os.path.join(HUB_DATA, "jupyterhub_cookie_secret")
if env("AUTOGRADER_PROXY_COMMAND"):
    c.ConfigurableHTTPProxy.command = json.loads(env("AUTOGRADER_PROXY_COMMAND", "[]"))
if env("AUTOGRADER_HUB_AUTHENTICATOR"):
    c.JupyterHub.authenticator_class = env("AUTOGRADER_HUB_AUTHENTICATOR")
# Users still need the roles below; `allow_all` only lets whoever the authenticator accepts log in.
c.Authenticator.allow_all = True

# ---------------------------------------------------------------- single-user servers

if MODE == "docker":
    c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
    c.JupyterHub.hub_ip = "0.0.0.0"  # the hub listens inside its container ...
    c.JupyterHub.hub_connect_ip = env("AUTOGRADER_HUB_HOST", "jupyterhub")  # ... reached by name
    c.DockerSpawner.image = IMAGE
    c.DockerSpawner.extra_create_kwargs = {"user": "jovyan"}  # the image's default user grades
    c.DockerSpawner.cmd = ["jupyterhub-singleuser"]
    c.DockerSpawner.network_name = NETWORK
    c.DockerSpawner.use_internal_ip = True
    c.DockerSpawner.remove = True
    c.DockerSpawner.notebook_dir = "/home/jovyan/work"
    c.DockerSpawner.volumes = {"jupyterhub-user-{username}": "/home/jovyan/work"}
    # docker-py turns this dict into docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]]).
    c.DockerSpawner.extra_host_config = {"device_requests": [GPU_REQUEST]} if GPUS == "all" else {}
    c.DockerSpawner.mem_limit = env("AUTOGRADER_MEM_LIMIT", "16G")
    service_url = f"http://{PUBLISH or f'{SERVICE_CONTAINER}:{SERVICE_PORT}'}"
    hub_env = ["JUPYTERHUB_API_TOKEN", "JUPYTERHUB_API_URL", "JUPYTERHUB_BASE_URL", "JUPYTERHUB_CLIENT_ID",
               "JUPYTERHUB_HOST", "JUPYTERHUB_OAUTH_ACCESS_SCOPES", "JUPYTERHUB_OAUTH_CALLBACK_URL",
               "JUPYTERHUB_OAUTH_SCOPES", "JUPYTERHUB_PUBLIC_URL", "JUPYTERHUB_SERVICE_NAME",
               "JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_SERVICE_URL"]
    service_command = [
        env("AUTOGRADER_DOCKER_COMMAND", "docker"), "run", "--rm", "--init", "--name", SERVICE_CONTAINER,
        "--network", NETWORK,
        *(["--gpus", "all"] if GPUS == "all" else []),  # = DeviceRequest(count=-1, capabilities=[["gpu"]])
        *(["--publish", f"{PUBLISH}:{SERVICE_PORT}"] if PUBLISH else []),
        # The sandbox's namespaces and mounts (docs/security.md): root in the container, CAP_SYS_ADMIN,
        # and no AppArmor profile that forbids mount(2).
        "--user", "0", "--cap-add", "SYS_ADMIN", "--security-opt", "apparmor=unconfined",
        "--volume", f"{COURSE_DIR}:/srv/course:ro",
        "--volume", f"{env('AUTOGRADER_SERVICE_VOLUME', 'autograder-data')}:/srv/course/build",
        *[arg for name in hub_env for arg in ("--env", name)],  # passed through from the hub
        IMAGE, "autograder", "serve", "--host", "0.0.0.0", "--port", str(SERVICE_PORT),
        "--config", "/srv/course/course_config.py",
    ]
    service_cwd = HUB_DATA
else:
    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.JupyterHub.hub_ip = "127.0.0.1"
    service_url = f"http://127.0.0.1:{SERVICE_PORT}"
    service_command = [os.path.join(os.path.dirname(sys.executable), "autograder"), "serve",
                       "--config", os.path.join(COURSE_DIR, "course_config.py")]
    service_cwd = COURSE_DIR

# Tell notebooks where the service is (autograder.student.client.submit) and let their token reach it.
# (the proxy as a server reaches it: in Docker, the hub container by name; the proxy runs there).
proxy_host = env("AUTOGRADER_HUB_HOST", "jupyterhub") if MODE == "docker" else "127.0.0.1"
c.Spawner.environment = {
    "AUTOGRADER_SERVICE_URL": f"http://{proxy_host}:{c.JupyterHub.port}/services/{SERVICE}/",
}
c.Spawner.server_token_scopes = [
    "users:activity!user",
    "access:servers!server",
    f"access:services!service={SERVICE}",
]

# ---------------------------------------------------------------- the grading service

c.JupyterHub.services = [
    {
        "name": SERVICE,
        "url": service_url,
        "command": service_command,
        "cwd": service_cwd,
        "environment": {name: os.environ[name] for name in ("DOCKER_HOST", "CONTAINERS_CONF") if name in os.environ},
        "oauth_no_confirm": True,
        "display": True,
    }
]

c.JupyterHub.load_roles = [
    # Every user may use the grading service; without this scope the service answers 403.
    {"name": "user", "scopes": ["self", f"access:services!service={SERVICE}"]},
]
c.JupyterHub.load_groups = {TA_GROUP: {"users": TA_USERS}}
