"""The course image that `make image` builds: what is in it, and what is not."""

from __future__ import annotations

import importlib.metadata

from ctr_support import Podman


def test_image_has_the_package_and_the_venvs_cpu_torch_but_not_the_course(image: str, podman: Podman) -> None:
    probe = ("import autograder, jupyterhub, torch, os; print(torch.__version__, torch.cuda.is_available(), "
             "os.getuid(), os.path.exists('/srv/course/course_config.py'), os.environ['PYTORCH_NVML_BASED_CUDA_CHECK'])")
    out = podman("run", "--rm", image, "python", "-c", probe).stdout.split()
    assert out[0] == importlib.metadata.version("torch")  # the venv's torch, its CPU build
    assert out[1:] == ["False", "1001", "False", "1"]  # no CUDA; the grader user; no course baked in
    tools = podman("run", "--rm", image, "sh", "-c", "for t in tini bwrap jupyterhub-singleuser autograder; do command -v $t; done")
    assert len(tools.stdout.split()) == 4
