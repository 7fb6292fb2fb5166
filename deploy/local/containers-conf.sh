#!/usr/bin/env bash
# Prints the containers.conf that podman needs on the course's Debian 12 machines (docs/deploy.md):
# - runc, because crun 1.8 refuses their cgroup layout ("cgroups in hybrid mode not supported");
# - explicit ulimits at or below this shell's hard limits: without them runc fails with
#   "setrlimit RLIMIT_NOFILE: Operation not permitted".
# `make image` and the tests use it through CONTAINERS_CONF; .ci/system-packages installs it as
# /etc/containers/containers.conf, where podman's Docker-compatible socket (DockerSpawner) reads it.
set -euo pipefail
cap() { local hard=$1 most=$2; if [ "$hard" = unlimited ] || [ "$hard" -gt "$most" ]; then echo "$most"; else echo "$hard"; fi; }
nofile=$(cap "$(ulimit -Hn)" 65536)
nproc=$(cap "$(ulimit -Hu)" 4096)
cat <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
CONF
