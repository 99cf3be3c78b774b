"""``facetruth check-results``: which committed results still hold for today's data and code."""

import json

HELP = "tell which results files are stale: their data or feature families moved since the run"
EXAMPLES = """
facetruth check-results
facetruth check-results results --data ../shared/data --strict
facetruth check-results results --json
"""
#: exit status of ``--strict`` when a result is stale
EXIT_STALE = 1


def add_arguments(parser):
    parser.add_argument(
        "results_dir",
        nargs="?",
        default="results",
        metavar="RESULTS_DIR",
        help="folder of <name>/results.json files",
    )
    parser.add_argument(
        "--data",
        default="../shared/data",
        help="folder the recorded source paths are relative to; each source's manifest hash is computed there",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when any result is stale")
    parser.add_argument("--json", action="store_true", help="print one JSON list instead of lines")
    parser.set_defaults(func=cmd_check_results)


def cmd_check_results(args):
    from pathlib import Path

    from ..evaluation import check_results

    results_dir = Path(args.results_dir)
    if not results_dir.is_dir():
        raise FileNotFoundError(f"{results_dir} is not a folder of results (RESULTS_DIR).")
    statuses = check_results(results_dir, args.data)
    if args.json:
        print(json.dumps([status.as_dict() for status in statuses], indent=2))
    else:
        for status in statuses:
            print(status.line())
            for note in status.notes:
                print(f"       note: {note}")
        stale = sum(not status.fresh for status in statuses)
        print(
            f"{len(statuses) - stale} fresh, {stale} stale of {len(statuses)} results files in {results_dir}"
        )
    if args.strict and any(not status.fresh for status in statuses):
        return EXIT_STALE
    return 0
