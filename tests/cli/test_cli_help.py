"""Every argument of every command explains itself in ``--help``."""

import argparse

import pytest

from facetruth.cli.cmdoptions import FACE_DETECTORS
from facetruth.cli.main import COMMANDS, build_parser
from facetruth.pipelines import FAMILIES, FEATURE_SETS


def _commands():
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return parser, sub


def _walk():
    parser, sub = _commands()
    yield "facetruth", parser
    yield from sub.choices.items()


def test_every_command_is_listed_with_help():
    _, sub = _commands()
    assert list(sub.choices) == list(COMMANDS)
    helps = {a.dest: a.help for a in sub._choices_actions}
    assert all(helps[name] and helps[name].strip() for name in COMMANDS)


@pytest.mark.parametrize("name", ["facetruth", *COMMANDS])
def test_every_argument_has_help(name):
    parser = dict(_walk())[name]
    rendered = parser.format_help()
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue  # the commands' own help: test_every_command_is_listed_with_help
        label = "/".join(action.option_strings) or action.dest
        assert action.help and action.help.strip(), f"{name} {label}: no help"
        assert action.help not in (action.dest, action.metavar), f"{name} {label}: help repeats the name"
        if action.choices and not isinstance(action, argparse._SubParsersAction):
            shown = "{" + ",".join(map(str, action.choices)) + "}"
            assert shown in rendered, f"{name} {label}: choices not shown"


def _action(command, flag):
    _, sub = _commands()
    return next(a for a in sub.choices[command]._actions if flag in a.option_strings or a.dest == flag)


def test_the_reported_gaps_are_filled():
    features = _action("train", "--features").help
    assert all(name in features for name in [*FAMILIES, *FEATURE_SETS])
    assert all(name in features for name in ("region", "parts", "cnnstats", "spectral"))
    assert _action("train", "--classifier").choices
    face = _action("train", "--face").help
    assert all(choice in face for choice in FACE_DETECTORS)
    assert ".joblib" in _action("evaluate", "model").help
    assert "demo images" in _action("demo", "--seed").help
    assert "never the folder the model was trained with" in _action("evaluate", "--cache").help
    assert _action("predict", "--cache").help == _action("evaluate", "--cache").help
    _, sub = _commands()
    finetune = [a for a in sub.choices["finetune"]._actions if a.option_strings and a.dest != "help"]
    assert len(finetune) > 10 and all(a.help and len(a.help) > 10 for a in finetune)


def test_pseudo_fakes_help_says_what_each_command_needs():
    _, sub = _commands()

    def pseudo_help(name):
        (action,) = [a for a in sub.choices[name]._actions if "--pseudo-fakes" in a.option_strings]
        return action.help

    assert "a real-only data set is then enough" in pseudo_help("train")
    assert "still needs real fakes" in pseudo_help("experiment")
    assert "real-only data set is then enough" not in pseudo_help("experiment")
