"""Every option documented with its default, shared options the same on every command."""

import argparse
import re

import pytest

from facetruth.cli.main import COMMANDS, build_parser
from facetruth.models import CLASSIFIERS
from facetruth.pipelines import FAMILIES, FEATURE_SETS


def _subparsers(parser):
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sub.choices


def _squeeze(text):
    return re.sub(r"\s+", "", str(text))


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_option_has_help_showing_its_default(command):
    parser = _subparsers(build_parser())[command]
    rendered = _squeeze(parser.format_help())
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            continue
        name = "/".join(action.option_strings) or action.dest
        assert action.help and action.help.strip(), f"{command} {name} has no help"
        if action.default is not None and action.default is not False:
            if action.default == argparse.SUPPRESS:
                continue
            shown = _squeeze(f"(default: {action.default})")
            assert shown in rendered, f"{command} {name}: default {action.default!r} not shown"


def _option(command, flag):
    parser = _subparsers(build_parser())[command]
    return next(a for a in parser._actions if flag in a.option_strings)


@pytest.mark.parametrize("command", ["demo", "train", "finetune", "experiment"])
def test_seed_defaults_to_zero(command):
    assert _option(command, "--seed").default == 0


@pytest.mark.parametrize("command", ["train", "experiment", "finetune"])
def test_image_size_is_the_face_crop_side(command):
    option = _option(command, "--image-size")
    assert option.default == 256 and "face crops" in option.help


def test_classifier_is_a_choice():
    assert tuple(_option("train", "--classifier").choices) == ("auto", *CLASSIFIERS)
    assert _option("train", "--classifier").default == "auto"
    # an experiment fits one classifier for every set: no per-set "auto"
    assert tuple(_option("experiment", "--classifier").choices) == tuple(CLASSIFIERS)
    assert _option("experiment", "--classifier").default == "xgboost"


@pytest.mark.parametrize("command", ["train", "demo"])
def test_features_help_lists_every_family_and_set(command):
    help_text = _option(command, "--features").help
    for name in [*FAMILIES, *FEATURE_SETS]:
        assert name in help_text


def test_finetune_takes_input_size_and_no_backbone():
    parser = _subparsers(build_parser())["finetune"]
    flags = {flag for action in parser._actions for flag in action.option_strings}
    assert "--input-size" in flags and "--backbone" not in flags


@pytest.mark.parametrize(
    "argv",
    [
        ["-v", "report", "run"],
        ["report", "run", "-v"],
        ["report", "-v", "run"],
        ["--verbose", "report", "run"],
    ],
)
def test_verbose_before_or_after_the_command(argv):
    assert build_parser().parse_args(argv).verbose is True
    assert build_parser().parse_args(["report", "run"]).verbose is False


def test_experiment_config_sets_what_the_command_line_does_not():
    from facetruth.cli.experiment import _setting

    base = ["experiment", "--data", "d", "--out", "o"]
    config = {"seed": 7, "folds": 3}
    args = build_parser().parse_args(base)
    assert [_setting(args, config, n) for n in ("seed", "folds", "repeats")] == [7, 3, 1]
    args = build_parser().parse_args([*base, "--seed", "0", "--folds", "5"])
    assert [_setting(args, config, n) for n in ("seed", "folds")] == [0, 5]


def test_train_defaults_to_the_detector_that_generalised_best():
    assert _option("train", "--features").default == "clip"
    assert _option("train", "--classifier").default == "auto"  # a linear probe for clip
