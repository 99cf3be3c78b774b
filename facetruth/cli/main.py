"""The ``facetruth`` parser and entry point.

Library code raises exceptions; :func:`main` alone turns them into one-line
messages on stderr and exit codes (``--verbose`` shows the traceback).
stdout carries only results, so ``--json`` output can be piped.
"""

import argparse
import logging
import os
import sys
import textwrap

from .._libc import tune_allocator
from .._version import __version__
from ..exceptions import FaceTruthError
from . import (
    audit,
    check_results,
    demo,
    doctor,
    evaluate,
    experiment,
    finetune,
    predict,
    report,
    serve,
    train,
    tune,
)
from ._shared import EXIT_ERROR, EXIT_OK

#: exit status when stdout's reader closed the pipe: 128 + SIGPIPE, as a shell reports it
EXIT_BROKEN_PIPE = 141

#: the sub-commands in the order ``facetruth --help`` lists them
COMMANDS = {
    "demo": demo,
    "train": train,
    "predict": predict,
    "evaluate": evaluate,
    "finetune": finetune,
    "tune": tune,
    "serve": serve,
    "experiment": experiment,
    "audit": audit,
    "report": report,
    "doctor": doctor,
    "check-results": check_results,
}


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples' line breaks and shows every option's default that is not None or False."""

    def __init__(self, prog):
        super().__init__(prog, max_help_position=32)

    def _get_help_string(self, action):
        help_text = action.help or ""
        default = action.default
        shown = not (default is None or default is False or default == argparse.SUPPRESS)
        if shown and "%(default)" not in help_text:
            help_text += " (default: %(default)s)"
        return help_text


def _verbose(parser, default):
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="log details and show tracebacks"
    )


def build_parser():
    """The argument parser with every sub-command.

    Returns
    -------
    parser : argparse.ArgumentParser

    Examples
    --------
    >>> build_parser().parse_args(["-v", "report", "runs/x"]).run_dir
    'runs/x'
    """
    parser = argparse.ArgumentParser(
        prog="facetruth",
        description="FaceTruth: deepfake image detection (forensic features, a CNN embedding, XGBoost).",
        epilog="Run 'facetruth COMMAND --help' for a command's options and examples.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"facetruth {__version__}")
    _verbose(parser, False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in COMMANDS.items():
        epilog = "examples:\n" + textwrap.indent(textwrap.dedent(module.EXAMPLES).strip(), "  ")
        command = sub.add_parser(
            name, help=module.HELP, description=module.HELP, epilog=epilog, formatter_class=HelpFormatter
        )
        module.add_arguments(command)
        _verbose(command, argparse.SUPPRESS)  # -v after the command; keeps one given before it
    return parser


def _size_unsized_terminal():
    """Give tqdm a size when stderr is a terminal that reports none.

    A terminal opened without a size (``script`` run from a pipe, some CI
    runners) reports 0 rows and columns, and tqdm then draws nothing.
    """
    try:
        columns, lines = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return  # not a terminal (or no file descriptor): tqdm needs no size
    if lines < 2:
        os.environ.setdefault("TQDM_NROWS", "24")
    if columns < 2:
        os.environ.setdefault("TQDM_NCOLS", "100")


def main(argv=None):
    """Entry point of the ``facetruth`` console script.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name (``sys.argv[1:]`` when None).

    Returns
    -------
    code : int
        0 on success, 1 when some inputs failed (or ``doctor`` found a problem), 2 on an error,
        130 on Ctrl+C, 141 when stdout's reader closed the pipe.

    Examples
    --------
    >>> main(["report", "no-such-run"])
    2
    """
    # torch's OpenMP threads busy-wait by default, which stalls inference badly on a
    # shared CPU; passive waiting must be chosen before torch is first imported.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    tune_allocator()  # process-wide, so the program sets it, not the library
    _size_unsized_terminal()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what results record as their command
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        code = int(args.func(args) or EXIT_OK)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except KeyboardInterrupt:
        print("facetruth: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (``facetruth predict ... | head``): stop quietly, as a killed
        # pipe writer would, and keep Python from failing again on flushing stdout at exit
        try:
            stdout_fd = sys.stdout.fileno()
        except (AttributeError, OSError, ValueError):  # stdout without a file descriptor (captured)
            return EXIT_BROKEN_PIPE
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout_fd)
        os.close(devnull)
        return EXIT_BROKEN_PIPE
    except (FaceTruthError, OSError, ValueError, RuntimeError) as exc:
        if args.verbose:
            raise
        print(f"facetruth {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
