#!/usr/bin/env bash
# `make container-demo`: `make demo` inside the course image (autograder:local, from `make image`),
# run with the flags docs/deploy.md recommends for grading containers, then which isolation layers the
# sandbox had in there. The course is mounted read-only; results go to build/container-demo/.
set -euo pipefail
cd "$(dirname "$0")/../.."
TAG=${IMAGE_TAG:-autograder:local}
OUT=build/container-demo
if [ -z "${CONTAINERS_CONF:-}" ]; then
  mkdir -p build/image && bash deploy/local/containers-conf.sh > build/image/containers.conf
  export CONTAINERS_CONF=$PWD/build/image/containers.conf
fi
rm -rf "$OUT" && mkdir -p "$OUT"
submissions=(examples/submissions/*)
podman run --rm --name "autograder-demo-$$" --network none \
  --user 0 --cap-add SYS_ADMIN --security-opt apparmor=unconfined \
  --volume "$PWD:/srv/course:ro" --volume "$PWD/$OUT:/out" --env COLUMNS=120 \
  "$TAG" sh -c 'autograder grade sheet_3_2 "$@" --out /out --regrade && python /srv/course/deploy/local/layers.py /out/*.json' \
  grade "${submissions[@]}"
