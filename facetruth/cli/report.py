"""``facetruth report``: re-render a run folder's reports from its results.json."""

import json
from pathlib import Path

from ._shared import check_output_path

HELP = "re-render report.md and report.html from a run folder's results.json"
EXAMPLES = """
facetruth report runs/hardfake
facetruth report runs/hardfake --out /tmp/hardfake-report
"""


def add_arguments(parser):
    parser.add_argument("run_dir", help="folder written by 'facetruth experiment'")
    parser.add_argument(
        "--out", default=None, help="folder to write the reports into instead of RUN_DIR (made if missing)"
    )
    parser.set_defaults(func=cmd_report)


def cmd_report(args):
    from ..reports import write_report

    run_dir = Path(args.run_dir)
    path = run_dir / "results.json"
    if not path.is_file():
        if _is_dataset(run_dir):
            raise FileNotFoundError(
                f"{run_dir} is a data set, not a run folder; run 'facetruth experiment --data {run_dir} "
                f"--out runs/NAME' first, then 'facetruth report runs/NAME'."
            )
        raise FileNotFoundError(
            f"{path} not found; {run_dir} is not a run folder. Run 'facetruth experiment --data DATA "
            f"--out {run_dir}' first."
        )
    out = Path(args.out) if args.out else run_dir
    check_output_path(out, folder=True, option="--out" if args.out else "RUN_DIR")
    with open(path, encoding="utf-8") as fh:
        results = json.load(fh)
    robustness = run_dir / "robustness.json"
    if "robustness" not in results and robustness.is_file():
        with open(robustness, encoding="utf-8") as fh:
            results["robustness"] = json.load(fh)
    paths = write_report(results, out)
    print(f"wrote {', '.join(map(str, paths))}")
    return 0


def _is_dataset(path):
    """Whether ``path`` reads as a data set (a CSV manifest, ``real/`` and ``fake/`` folders, ...)."""
    from ..data import load_dataset
    from ..exceptions import FaceTruthError

    if not path.exists():
        return False
    try:
        return len(load_dataset(path, one_class=True)) > 0
    except (FaceTruthError, OSError, ValueError):
        return False
