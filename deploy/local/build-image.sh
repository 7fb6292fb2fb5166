#!/usr/bin/env bash
# `make image`: the course image, tagged autograder:local, built with podman on a machine where no
# image registry is reachable (docs/deploy.md, "Building the image here").
#
# 1. a base image from Debian's packages: mmdebstrap writes a root file system (Python, venv,
#    bubblewrap, tini) to build/image/base-<key>.tar, `podman import` makes it an image;
# 2. the wheels the image installs, downloaded on this machine with the project venv's pip into
#    build/image/wheels/, pinned to the venv's versions: the CPU torch wheel comes from the
#    find-links folder of this machine's pip configuration, which a container does not see;
# 3. deploy/Dockerfile built on that base with the wheel folder mounted and pip offline, constrained
#    to the venv's versions (no CUDA torch, no TLS from inside the build).
# Each step is skipped when its result exists for the same inputs: a rebuild takes seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-.venv/bin/python}
TAG=${IMAGE_TAG:-autograder:local}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
OUT=build/image
SUITE=bookworm
PACKAGES=python3,python3-venv,passwd,bubblewrap,tini,ca-certificates,procps
HOOK='chroot "$1" python3 -m venv /opt/venv'
mkdir -p "$OUT"
if [ -z "${CONTAINERS_CONF:-}" ]; then
  bash deploy/local/containers-conf.sh > "$OUT/containers.conf"
  export CONTAINERS_CONF=$PWD/$OUT/containers.conf
fi
step() { printf '%s [image] %s\n' "$(date +%T)" "$*"; }

key=$(printf '%s\n' "$SUITE" "$PACKAGES" "$HOOK" | sha256sum | cut -c1-12)
base=localhost/autograder-base:$key
if ! podman image exists "$base"; then
  if [ ! -s "$OUT/base-$key.tar" ]; then
    step "mmdebstrap $SUITE with $PACKAGES"
    mmdebstrap --quiet --format=tar --variant=minbase --include="$PACKAGES" --customize-hook="$HOOK" \
      "$SUITE" "$OUT/base-$key.tar.part"
    mv "$OUT/base-$key.tar.part" "$OUT/base-$key.tar"
  fi
  step "podman import $base"
  podman import --quiet "$OUT/base-$key.tar" "$base" >/dev/null
fi

"$PYTHON" -m pip freeze --exclude-editable | grep -v ' @ ' > "$OUT/constraints.txt.new"
wkey=$(cat "$OUT/constraints.txt.new" pyproject.toml <(echo "$TORCH_VERSION") | sha256sum | cut -c1-12)
mv "$OUT/constraints.txt.new" "$OUT/constraints.txt"
if [ ! -e "$OUT/wheels/.complete-$wkey" ]; then
  step "pip download into $OUT/wheels (torch $TORCH_VERSION CPU, the venv's versions)"
  "$PYTHON" -m pip download --quiet --disable-pip-version-check -d "$OUT/wheels" -c "$OUT/constraints.txt" \
    "torch==$TORCH_VERSION" ".[service]" jupyterlab setuptools wheel 2> >(grep -v -e "^WARNING: Location" -e "^ *$" >&2)
  rm -f "$OUT"/wheels/.complete-* "$OUT"/wheels/constraints-*.txt && touch "$OUT/wheels/.complete-$wkey"
fi
# The image gets exactly the venv's versions. The key in the file name is part of PIP_OPTIONS, and so
# of the cache key of the Dockerfile's RUN steps: new versions rebuild the dependency layer.
cp "$OUT/constraints.txt" "$OUT/wheels/constraints-$wkey.txt"

nofile=$(grep -o 'nofile=[0-9]*' "$CONTAINERS_CONF" | head -1 | cut -d= -f2 || true)
step "podman build $TAG"
podman build --quiet --ulimit "nofile=${nofile:-4096}:${nofile:-4096}" \
  --file deploy/Dockerfile --tag "$TAG" --build-arg "BASE_IMAGE=$base" \
  --build-arg "PIP_OPTIONS=--no-index --find-links /wheels --constraint /wheels/constraints-$wkey.txt" --volume "$PWD/$OUT/wheels:/wheels:ro" . >/dev/null
step "$TAG: $(podman image inspect --format '{{.Size}}' "$TAG" | awk '{printf "%.2f GB", $1/1e9}')"
