"""Which committed results still hold: their data and feature families against today's (:func:`check_results`)."""

import dataclasses
import json
from pathlib import Path

from ..exceptions import ModelIntegrityError
from ._provenance import PROVENANCE_FORMAT, family_probe_features, source_record


@dataclasses.dataclass(frozen=True)
class ResultStatus:
    """Whether one results file still holds.

    Attributes
    ----------
    path : str
        The results file, relative to the results folder.
    fresh : bool
        Every source's manifest and content hash and every family's probe features agree with today's.
    reasons : tuple of str
        Why it is stale (empty when fresh).
    notes : tuple of str
        What the record says of itself: a hash or fingerprint recorded at
        migration rather than at the run.
    commit : str or None
        The commit the result records.

    Examples
    --------
    >>> from facetruth.evaluation import ResultStatus
    >>> ResultStatus("x/results.json", False, ("no provenance record",), (), None).line()
    'stale  x/results.json: no provenance record'
    """

    path: str
    fresh: bool
    reasons: tuple
    notes: tuple
    commit: str | None

    def line(self):
        """One line: ``fresh  PATH`` or ``stale  PATH: REASON; REASON``."""
        if self.fresh:
            return f"fresh  {self.path}"
        return f"stale  {self.path}: {'; '.join(self.reasons)}"

    def as_dict(self):
        """A JSON-ready dict of the attributes."""
        return {**dataclasses.asdict(self), "reasons": list(self.reasons), "notes": list(self.notes)}


class _Today:
    """Today's manifest hashes and probe features, each computed once however many results ask."""

    def __init__(self, data_root):
        self.data_root = Path(data_root)
        self._hashes, self._features = {}, {}

    def manifest(self, path):
        """``(manifest hash, content hash)`` of the folder now, ``None`` when missing, or the error."""
        if path not in self._hashes:
            folder = self.data_root / path
            try:
                record = source_record(folder) if folder.exists() else None
                self._hashes[path] = record and (record["manifest_sha256"], record["content_sha256"])
            except (OSError, ValueError) as exc:  # DatasetLayoutError is a ValueError
                self._hashes[path] = exc
        return self._hashes[path]

    def features(self, family, params):
        key = (family, json.dumps(params, sort_keys=True))
        if key not in self._features:
            try:
                self._features[key] = family_probe_features(family, params)
            except Exception as exc:  # noqa: BLE001 - a family that cannot run here is a reason, not a crash
                self._features[key] = exc
        return self._features[key]


def _data_reasons(sources, today):
    reasons = []
    for source in sources:
        path = source.get("path") or source.get("name")
        now = today.manifest(path)
        if now is None:
            reasons.append(f"source {source.get('name')!r} not found at {today.data_root / path}")
        elif isinstance(now, Exception):
            reasons.append(f"source {source.get('name')!r} unreadable ({now})")
        elif now[0] != source.get("manifest_sha256"):
            reasons.append(
                f"source {source.get('name')!r}: manifest hash differs from {today.data_root / path} now"
            )
        elif source.get("content_sha256") not in (None, now[1]):
            reasons.append(
                f"source {source.get('name')!r}: the files' contents differ from {today.data_root / path} now"
            )
    return reasons


def _feature_reasons(entries, today):
    from ..models import probe_agreement

    reasons = []
    for entry in entries:
        family, params, label = entry.get("family"), entry.get("params") or {}, _label(entry)
        here = today.features(family, params)
        if isinstance(here, Exception):
            reasons.append(f"{label}: its features cannot be computed here ({here})")
            continue
        drift = probe_agreement(entry.get("fingerprint") or {}, here, label)
        if drift.drift or not drift.checked:
            reasons.append(drift.message)
    return reasons


def _label(entry):
    params = entry.get("params") or {}
    return entry.get("family") + (f" {json.dumps(params, sort_keys=True)}" if params else "")


def _notes(record):
    """What was recorded after the run (a migration): one note for the data, one for the features."""
    notes = []
    late = [s.get("name") for s in record.get("data") or [] if s.get("as_of") != "run"]
    if late:
        notes.append(f"manifest hash recorded at migration, not at the run: {', '.join(late)}")
    late = [s.get("name") for s in record.get("data") or [] if s.get("content_as_of", "run") != "run"]
    if late:
        notes.append(f"content hash recorded at migration, not at the run: {', '.join(late)}")
    late = [e for e in record.get("features") or [] if e.get("as_of") != "run"]
    if late:
        commits = sorted({str(e.get("commit"))[:7] for e in late})
        notes.append(
            f"fingerprint computed at migration with the code of {', '.join(commits)}: "
            + ", ".join(_label(e) for e in late)
        )
    return notes


def _status(path, results_dir, today):
    name = path.relative_to(results_dir).as_posix()
    try:
        record = json.loads(path.read_text(encoding="utf-8")).get("provenance")
    except (OSError, ValueError, AttributeError) as exc:
        return ResultStatus(name, False, (f"unreadable ({exc})",), (), None)
    if not isinstance(record, dict) or record.get("format") != PROVENANCE_FORMAT:
        return ResultStatus(name, False, ("no provenance record",), (), None)
    try:
        reasons = _data_reasons(record.get("data") or [], today)
        reasons += _feature_reasons(record.get("features") or [], today)
    except (AttributeError, KeyError, TypeError, ValueError, ModelIntegrityError) as exc:
        reasons = [f"malformed provenance record ({exc})"]
    return ResultStatus(name, not reasons, tuple(reasons), tuple(_notes(record)), record.get("commit"))


def check_results(results_dir, data_root):
    """Tell which results still hold: each source's manifest hash and each family's probe features.

    A result is stale when it has no provenance record, when a source folder
    it read differs now (its manifest or content hash under ``data_root``), or when a
    feature family it used gives other features on the probe images here
    (a cosine below :data:`facetruth.models.DRIFT_MIN_COSINE`, the rule a
    loaded model is held to). Each source and family is computed once.

    Parameters
    ----------
    results_dir : str or os.PathLike
        The folder of ``<name>/*.json`` results files.
    data_root : str or os.PathLike
        The folder the sources' recorded paths are relative to (``../shared/data``).

    Returns
    -------
    statuses : list of ResultStatus
        One per results file, sorted by path.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from facetruth.evaluation import check_results, run_record, write_results
    >>> results = Path(tempfile.mkdtemp())
    >>> _ = write_results(results / "a" / "results.json", {}, run_record(families=["fft"], command="x"))
    >>> _ = (results / "b").mkdir(), (results / "b" / "results.json").write_text("{}")
    >>> [status.line() for status in check_results(results, data_root=results)]
    ['fresh  a/results.json', 'stale  b/results.json: no provenance record']
    """
    results_dir = Path(results_dir)
    today = _Today(data_root)
    return [_status(path, results_dir, today) for path in sorted(results_dir.glob("*/*.json"))]
