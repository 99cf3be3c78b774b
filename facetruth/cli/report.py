"""``facetruth report``: re-render a run folder's reports from its results.json."""

import json
from pathlib import Path

HELP = "re-render report.md and report.html from a run folder's results.json"
EXAMPLES = """
facetruth report runs/hardfake
facetruth report runs/hardfake --out /tmp/hardfake-report
"""


def add_arguments(parser):
    parser.add_argument("run_dir", help="folder written by 'facetruth experiment'")
    parser.add_argument("--out", default=None, help="write the reports here instead of RUN_DIR")
    parser.set_defaults(func=cmd_report)


def cmd_report(args):
    from ..evaluation import write_report

    run_dir = Path(args.run_dir)
    path = run_dir / "results.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; run 'facetruth experiment --out {run_dir}' first.")
    with open(path, encoding="utf-8") as fh:
        results = json.load(fh)
    robustness = run_dir / "robustness.json"
    if "robustness" not in results and robustness.is_file():
        with open(robustness, encoding="utf-8") as fh:
            results["robustness"] = json.load(fh)
    paths = write_report(results, Path(args.out) if args.out else run_dir)
    print(f"wrote {', '.join(map(str, paths))}")
    return 0
