"""The run metadata a report ends with, as ``(setting, value)`` pairs."""

from ._cells import counts_text


def metadata_rows(results):
    """Run metadata of an experiment as ``(key, value)`` pairs.

    Examples
    --------
    >>> from facetruth.reports._metadata import metadata_rows
    >>> dict(metadata_rows({"meta": {"folds": 5, "repeats": 2, "seed": 0}}))["folds"]
    '5 folds × 2 repeats'
    """
    meta = results.get("meta", {})
    versions = meta.get("versions", {})
    return [
        ("data", f"{meta.get('data_name', '')} ({meta.get('layout', '')})"),
        ("manifest sha256", meta.get("manifest_sha256", "")),
        (
            "items",
            f"{counts_text(meta.get('counts'))} ({meta.get('n_groups', '?')} groups; "
            f"{meta.get('n_skipped', 0)} skipped)",
        ),
        (
            "face crop",
            f"{meta.get('face')} at {meta.get('image_size')} px, face found {meta.get('face_found_rate')}",
        ),
        ("folds", _folds_text(meta)),
        ("classifier", f"{meta.get('classifier', '')}; inner cv {meta.get('inner_cv')}"),
        *([("clip family", clip_text(meta["clip"]))] if meta.get("clip") else []),
        ("seed", str(meta.get("seed"))),
        (
            "wall time",
            f"{results.get('wall_seconds', '?')} s (decode+crop {meta.get('load_seconds', '?')} s)",
        ),
        ("date", meta.get("date", "")),
        ("versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
    ]


def loso_metadata_rows(results):
    """Run metadata of a leave-one-source-out run as ``(key, value)`` pairs.

    Examples
    --------
    >>> from facetruth.reports._metadata import loso_metadata_rows
    >>> dict(loso_metadata_rows({"meta": {"extra_training_rows": {}}}))["extra training rows"]
    'none'
    """
    meta = results.get("meta", {})
    return [
        ("protocol", meta.get("protocol", "")),
        ("data", f"{meta.get('data_name', '')} ({meta.get('layout', '')}) in {meta.get('data', '')}"),
        ("manifest sha256", meta.get("manifest_sha256", "")),
        ("items", f"{counts_text(meta.get('counts'))} ({meta.get('n_skipped', 0)} skipped)"),
        (
            "face crop",
            f"{meta.get('face')} at {meta.get('image_size')} px, face found {meta.get('face_found_rate')}",
        ),
        ("classifier", f"{meta.get('classifier', '')}; inner cv {meta.get('inner_cv')}"),
        ("extra training rows", counts_text(meta.get("extra_training_rows"), empty="none")),
        ("seed", str(meta.get("seed"))),
        (
            "wall time",
            f"{results.get('wall_seconds', '?')} s (decode+crop {meta.get('load_seconds', '?')} s)",
        ),
        ("date", meta.get("date", "")),
        ("versions", ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items())),
    ]


def clip_text(clip):
    """How a report describes the clip family's options.

    Examples
    --------
    >>> from facetruth.reports._metadata import clip_text
    >>> clip_text({"blocks": [], "flip": False, "precision": "float32"})
    'final embedding'
    >>> clip_text({"blocks": list(range(12)), "flip": True, "precision": "float32"})
    'final embedding + CLS tokens of blocks 0-11; each image averaged with its mirror image'
    >>> clip_text({"blocks": [4, 8], "flip": False, "precision": "int8"})
    'final embedding + CLS tokens of blocks 4, 8; int8'
    """
    blocks = list(clip.get("blocks") or [])
    text = "final embedding"
    consecutive = len(blocks) > 2 and blocks == list(range(blocks[0], blocks[-1] + 1))
    if consecutive:
        text += f" + CLS tokens of blocks {blocks[0]}-{blocks[-1]}"
    elif blocks:
        text += " + CLS tokens of blocks " + ", ".join(str(b) for b in blocks)
    if clip.get("flip"):
        text += "; each image averaged with its mirror image"
    if clip.get("precision", "int8") == "int8":  # results recorded before float32 existed were int8
        text += "; int8"
    return text


def _folds_text(meta):
    repeats = meta.get("repeats") or 1
    text = f"{meta.get('folds')} folds" + (f" × {repeats} repeats" if repeats > 1 else "")
    return f"{text}, {meta['split']}" if meta.get("split") else text
