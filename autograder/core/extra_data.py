"""``SubmissionResult.extra_data``: what a result records beyond Gradescope's schema, typed.

Every key is a field of :class:`ExtraData` below, with who writes it. The stored JSON keeps the shape
it always had, a flat object of these keys: a field is written only when a writer set it (a result
that was never timed has no ``timings``), and keys this version does not know (an older or a newer
engine's) are kept as they are, so reading and rewriting a result loses nothing and never fails on
them.

All of ``extra_data`` is staff data: the renderers for students drop it (:mod:`autograder.outputs.exports`,
:mod:`autograder.outputs.student_view`). Fields marked ``staff_only`` must never reach a student even in
part (host paths, the sandbox's uid, who else handed in the same file, charts of secret checks);
``plots`` reaches a student only as charts of the checks the visibility rule shows.

Old callers (and tests) read keys: the model is also a read-only mapping of its stored JSON
(``extra["late"]["days"]``, ``"late" in extra``, ``{**extra}``); new code reads the fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

STAFF_ONLY: dict[str, Any] = {"staff_only": True}
"""A field's ``json_schema_extra``: never shown to a student."""


class StoredRecord(BaseModel):
    """A part of a stored result: frozen, written with only the keys a writer set, unknown keys kept."""

    model_config = ConfigDict(frozen=True, extra="allow", serialize_by_alias=True, validate_by_name=True)

    @model_serializer(mode="wrap")
    def _only_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        kept = set(self.stored_keys())
        return {key: value for key, value in data.items() if key in kept}

    def stored_keys(self) -> list[str]:
        """The keys of the stored JSON: the fields a writer set, then the unknown ones, as read."""
        fields = type(self).model_fields
        return [*(info.alias or name for name, info in fields.items() if name in self.model_fields_set),
                *(self.model_extra or {})]

    def updated(self, **changes: Any) -> Any:
        """A copy with ``changes`` (field names, or unknown keys), validated like a stored record."""
        kept = {name: getattr(self, name) for name in self.model_fields_set}
        return type(self).model_validate({**kept, **(self.model_extra or {}), **changes})


class Timings(StoredRecord):
    """Wall and CPU seconds per phase of one judge run (:func:`autograder.judge.runner._timings`)."""

    load_s: float | None = Field(None, description="wall seconds running the notebook")
    tests_s: float | None = Field(None, description="wall seconds running the hidden tests")
    load_cpu_s: float | None = Field(None, description="sandbox CPU seconds running the notebook")
    tests_cpu_s: float | None = Field(None, description="sandbox CPU seconds of the checks")
    sandbox_cpu_s: float | None = Field(None, description="the sandbox process's CPU seconds in all")
    judge_load_cpu_s: float | None = Field(None, description="the judge's CPU seconds while it loaded")
    judge_tests_cpu_s: float | None = Field(None, description="the judge's CPU seconds while the tests ran")
    per_test: dict[str, dict[str, float]] = Field(default_factory=dict,
                                                  description="node id -> its sandbox CPU and wall seconds")


class LateRecord(StoredRecord):
    """The lateness the late policy applied (:meth:`autograder.grades.late.Lateness.as_dict`)."""

    late: bool = False
    days: int = 0
    fraction: float = Field(0.0, description="the share of the score deducted")
    deadline: str | None = Field(None, description="the deadline in force, ISO 8601")
    grace_minutes: float = 0.0


class SubmissionFile(StoredRecord):
    """The graded file (:func:`autograder.grades.provenance.with_provenance`), so a regrade finds it again."""

    path: str = Field("", description="its original path on the grading host", json_schema_extra=STAFF_ONLY)
    sha256: str = ""
    kept_copy: str | None = Field(None, alias="copy",
                                  description="the kept copy, relative to the results folder (None: none)")


class GradingFingerprints(StoredRecord):
    """What a regrade diff compares (:func:`autograder.grades.provenance.grading_fingerprints`)."""

    suite: str = Field("", description="the job store's key of the suite")
    engine: str = Field("", description=":func:`autograder.judge.fingerprint.engine_fingerprint`")
    config: str = Field("", description="a hash of the sheet's points and the limits")
    tests: dict[str, str] = Field(default_factory=dict, description="node id -> hash of the test's source")

    def code_hash(self, nodeid: str) -> str | None:
        """The hash of the test ``nodeid`` (its parameters ignored), None when unknown."""
        return self.tests.get(nodeid.split("[", 1)[0]) if nodeid else None


class ExtraData(StoredRecord):
    """``extra_data`` of a :class:`~autograder.core.results.SubmissionResult` (staff data, see the module)."""

    # written by the judge (autograder.judge.assemble)
    timings: Timings | None = Field(None, description="seconds per phase and per test")
    device: str = Field("", description="cpu or cuda: where the tests ran")
    restarts: int = Field(0, description="how often the sandbox was restarted after a hang or crash")
    skipped_cells: list[int] = Field(default_factory=list, description="cells not run again after a restart")
    isolation: dict[str, Any] = Field(default_factory=dict, json_schema_extra=STAFF_ONLY,
                                      description="the sandbox's report of its isolation layers (uid, paths)")
    isolation_warnings: list[str] = Field(default_factory=list, json_schema_extra=STAFF_ONLY,
                                          description="layers that were missing, secrets exposed by that")
    versions: dict[str, str] = Field(default_factory=dict, description="python, torch and transformers")
    exercise_max: dict[str, float] = Field(default_factory=dict, description="exercise id -> its points")
    plots: dict[str, Any] = Field(default_factory=dict,
                                  description="node id -> charts (autograder.outputs.plots), shown under visibility")
    staff_plots: dict[str, Any] = Field(default_factory=dict, json_schema_extra=STAFF_ONLY,
                                        description="charts of checks that had secret data in play")
    # written by the worker and the batch (autograder.grading.worker, autograder.grading.batch, autograder.grading.collect)
    judge_peak_mb: float = Field(0.0, description="the judge process's peak memory")
    not_graded_files: list[str] = Field(default_factory=list, json_schema_extra=STAFF_ONLY,
                                        description="other files of the submission's folder, not graded")
    submitted_at_source: str = Field("", description="where the submission time came from (collect.FROM_*)")
    # written by provenance, the late policy, dedup and the release gate
    grading: GradingFingerprints | None = Field(None, json_schema_extra=STAFF_ONLY)
    submission_file: SubmissionFile | None = Field(None, json_schema_extra=STAFF_ONLY)
    late: LateRecord | None = Field(None, description="the lateness the late policy applied")
    identical_submissions: list[str] = Field(default_factory=list, json_schema_extra=STAFF_ONLY,
                                             description="the other students who handed in the same file")
    grading_shared_from: str = Field("", json_schema_extra=STAFF_ONLY,
                                     description="on a copy: the student whose grading it reuses")
    reused_from_reference: list[str] = Field(default_factory=list,
                                             description="release gate: tests whose outcome is the reference's")

    def updated(self, **changes: Any) -> ExtraData:
        """A copy with ``changes`` (field names, or unknown keys), validated like a stored record."""
        result: ExtraData = super().updated(**changes)
        return result

    def carried(self, names: Iterable[str]) -> dict[str, Any]:
        """Those of the fields ``names`` that a writer set, for :meth:`updated` of another record."""
        return {name: getattr(self, name) for name in names if name in self.model_fields_set}

    @classmethod
    def staff_only_fields(cls) -> tuple[str, ...]:
        return tuple(name for name, info in cls.model_fields.items() if info.json_schema_extra == STAFF_ONLY)

    # ------------------------------------------------------------ the read-only mapping of the stored JSON

    def keys(self) -> list[str]:
        return self.stored_keys()

    def __getitem__(self, key: str) -> Any:
        if key not in self.stored_keys():
            raise KeyError(key)
        return self.model_dump()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.stored_keys()

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __len__(self) -> int:
        return len(self.stored_keys())
