"""The CSV manifest layout: rows ``path,label[,group][,source]``.

A path is absolute, or relative to the CSV's folder (``..`` included).
``confine=True`` keeps every path inside that folder, for manifests from
strangers.
"""

import csv
import os
from pathlib import Path

from ..exceptions import DatasetLayoutError
from ._layouts import ItemCollector, media_kind

_LABELS = {"0": 0, "1": 1, "real": 0, "fake": 1}


def build_csv(csv_path, n_frames, *, confine=False):
    """Layout ``csv``: rows ``path,label[,group][,source]``.

    Paths are absolute or relative to the CSV's folder; with ``confine`` only
    relative paths that stay inside that folder are accepted.
    """
    csv_path = Path(csv_path)
    base = csv_path.parent
    collector = ItemCollector(base, n_frames, "csv")
    where = repr(str(csv_path))
    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if not header:
                raise DatasetLayoutError(
                    f"{where}: empty CSV; expected a header path,label[,group][,source]."
                )
            columns = [c.strip().lower() for c in header]
            if "path" not in columns or "label" not in columns or len(set(columns)) != len(columns):
                raise DatasetLayoutError(
                    f"{where}: header must name the columns path,label[,group][,source] once each; "
                    f"found {header}."
                )
            col = {c: columns.index(c) for c in ("path", "label", "group", "source") if c in columns}
            n_rows = 0
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                n_rows += 1
                _csv_row(collector, base, row, col, reader.line_num, where, confine)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DatasetLayoutError(f"{where}: unreadable CSV ({exc}).") from exc
    except OSError as exc:
        raise DatasetLayoutError(f"{where}: cannot read ({exc}).") from exc
    if n_rows == 0:
        raise DatasetLayoutError(f"{where}: the CSV has a header but no rows.")
    return collector.dataset()


def _csv_row(collector, base, row, col, line, where, confine):
    if len(row) < len(col) or len(row) <= max(col.values()):
        raise DatasetLayoutError(f"{where}, row {line}: expected {len(col)} values, found {len(row)}.")
    text = row[col["path"]].strip()
    label_text = row[col["label"]].strip().lower()
    if label_text not in _LABELS:
        raise DatasetLayoutError(
            f"{where}, row {line}: bad label {row[col['label']]!r}; expected 0, 1, real or fake."
        )
    if not text:
        raise DatasetLayoutError(f"{where}, row {line}: empty path.")
    norm = os.path.normpath(text.replace("\\", "/"))
    if confine:
        _check_confined(text, norm, line, where)
    if media_kind(norm) is None:
        raise DatasetLayoutError(f"{where}, row {line}: {text!r} has no image or video extension.")
    path = Path(os.path.normpath(os.path.join(base, norm)))  # an absolute path replaces the base
    if not os.path.lexists(path):
        raise DatasetLayoutError(
            f"{where}, row {line}: file {text!r} not found (looked for {os.path.abspath(path)!r})."
        )
    default_group = Path(norm).as_posix()
    group = row[col["group"]].strip() if "group" in col and row[col["group"]].strip() else default_group
    source = row[col["source"]].strip() if "source" in col and row[col["source"]].strip() else "csv"
    collector.add_file(path, _LABELS[label_text], group, source)


def _check_confined(text, norm, line, where):
    """Refuse a path that is absolute or leaves the CSV's folder (``confine=True``)."""
    if os.path.isabs(norm) or text.startswith(("/", "\\")) or (len(text) > 1 and text[1] == ":"):
        raise DatasetLayoutError(
            f"{where}, row {line}: path {text!r} is absolute; confine=True accepts only paths "
            "relative to the CSV's folder."
        )
    if norm == ".." or norm.startswith("../"):
        raise DatasetLayoutError(
            f"{where}, row {line}: path {text!r} leaves the CSV's folder, which confine=True refuses."
        )
