"""Render the results pages of the docs from the committed ``results/*/results.json``.

Run from the repository root::

    python docs/render_results.py          # writes docs/results/*.md
    python docs/render_results.py --check  # exit status 1 if a page differs from a fresh rendering

Every figure on these pages is read from a results file, and every table names the file it came from,
with the command that re-runs it, its commit and its date. The pages are never edited by hand:
``tests/test_docs.py`` checks that they equal a fresh rendering. Figures that have no results file are
not here; they are in ``CHANGELOG.md``, labelled as historical.
"""

import argparse
import json
import math
import re
import sys
from pathlib import Path

from facetruth.reports import markdown_table

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
OUT = ROOT / "docs" / "results"
LINK_PREFIX = "../../results/"  # from docs/results/*.md to results/

SOURCES = ("hardfake", "ciplab", "ffhq_sg1", "faceswap", "dfdc")

# What each results folder measures; a folder not listed here is still indexed, without a description.
WHAT = {
    "loso_clip_float32": "leave one source out, four sources, `clip` (float32) + linear probe",
    "loso_clip_int8": "leave one source out, four sources, `clip` (int8) + linear probe",
    "loso5_clip_float32": "leave one source out, five sources (dfdc included), `clip` (float32) + linear probe",
    "tune_loso_cpu": "leave one source out, five sources, 60 + 60 items each: frozen `clip` against tuned LayerNorms",
    "tuned_detector_cpu": "five sources, 100 + 100 items each: the tuned-LayerNorm detector and the frozen probe, "
    "trained from a cold cache",
    "ciplab_clip_float32": "ciplab 5-fold, `clip` (float32) + `logistic_cv`",
    "ciplab_clip_int8": "ciplab 5-fold, `clip` (int8) + `logistic_cv`",
    "verdict_sides": "one model per source trained with the defaults: cutoffs and verdicts on held-out items",
    "portability": "`clip` features native (AVX-512 VNNI) against an emulated AVX2-only CPU",
    "bench_features_clip": "speed of the handcrafted families and of the `clip` embedding",
    "bench_fit": "`build_pipeline().fit` on 120 hardfake images, step by step",
    "bench_cores": "train, predict and evaluate with `--n-jobs 1` against `-1`; the CLIP session's threads",
    "bench_cold": "cold start of `facetruth predict`: time, peak memory, heavy imports",
    "bench_clip_tune": "cost of tuning CLIP's LayerNorms against K; inference with and without tuned norms",
}

FAMILY_LABELS = {
    "all four": 'all four, one pass (`build_features("handcrafted")`)',
    "4, each": "all four, one family at a time (plain `FeatureUnion`)",
    "lbp, numpy": "lbp, numpy kernel (the fallback without numba)",
}

COLD_LABELS = {
    "clip_fresh_cache": "predict, clip model, with an empty cache folder (the first predict on a machine)",
    "clip_before": "predict, clip model, with the previous float32 CLIP encoder built in memory",
    "before": "predict, the previous demo model (features `all`, with the torch `cnn` family)",
}

HEADER = "<!-- Rendered by docs/render_results.py from results/*/results.json: do not edit by hand. -->\n"


# -- reading -------------------------------------------------------------------------------------------


def load(name, file="results.json"):
    """The parsed results file ``results/<name>/<file>``, or None when it is absent."""
    path = RESULTS / name / file
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def provenance(data):
    """``(command, commit, date)`` of a results file, wherever the file keeps them."""
    places = [data.get("provenance"), data.get("meta"), data]
    found = {}
    for key in ("command", "commit", "date"):
        for place in places:
            if isinstance(place, dict) and isinstance(place.get(key), str):
                found[key] = place[key]
                break
    return found.get("command"), found.get("commit"), found.get("date")


def link(name, file="results.json"):
    return f"[`results/{name}/{file}`]({LINK_PREFIX}{name}/{file})"


def source_note(name, data, file="results.json"):
    """One paragraph: the file, the command that re-runs it, its commit and date."""
    command, commit, date = provenance(data)
    parts = [f"Source: {link(name, file)}"]
    if commit:
        parts.append(f"commit `{commit[:7]}{'+changes' if commit.endswith('+changes') else ''}`")
    if date:
        parts.append(f"date {date[:10]}")
    text = ", ".join(parts) + "."
    if command:
        text += f" Re-run:\n\n```\n{command}\n```\n"
    return text + "\n"


# -- formatting ----------------------------------------------------------------------------------------


def num(value, digits=3):
    """A figure as the docs print it; ``n/a`` where the data leave it undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def mean_std(summary, digits=3):
    return f"{num(summary['mean'], digits)} ± {num(summary['std'], digits)}"


def table(header, rows):
    """A Markdown table; a cell given as ``"**text**"`` is set in bold."""
    cells = [
        [
            (c[2:-2], True)
            if isinstance(c, str) and len(c) > 4 and c[:2] == c[-2:] == "**"
            else (str(c), False)
            for c in row
        ]
        for row in rows
    ]
    return markdown_table([str(h) for h in header], cells) + "\n"


# -- pages ---------------------------------------------------------------------------------------------


def _loso_table(data, label):
    """Held-out ROC-AUC per source, flag rates and each source's shortcut audit."""
    sources = [s for s in SOURCES if s in data["sources"]]
    rows = []
    for set_name, fs in data["feature_sets"].items():
        held = fs["held_out"]
        rows.append(
            [f"{label} (`{set_name}`): held-out ROC-AUC"]
            + [num(held[s]["auc"]) for s in sources]
            + [f"**{num(fs['mean_auc'])}**"]
        )
        rows.append(
            ["fakes / reals called fake"]
            + [f"{num(held[s]['flag_rate_fake'], 2)} / {num(held[s]['flag_rate_real'], 2)}" for s in sources]
            + [""]
        )
    audits = [data["sources"][s].get("audit") for s in sources]
    if all(audits):
        rows.append(
            ["*shortcut audit (nuisance AUC)*"] + [f"*{num(a['nuisance_auc'])}*" for a in audits] + [""]
        )
    return table([""] + sources + ["mean"], rows)


def page_loso():
    out = [HEADER, "# Leave one source out\n"]
    out.append(
        "The question a detector must answer is whether it works on fakes from a source it never saw. "
        "`facetruth experiment --protocol loso` trains on all shared sources but one (fitting, calibrating "
        "and choosing the threshold there) and tests on the one left out, for each source in turn; nothing "
        "is tuned on the held-out source. Read each figure next to its source's shortcut audit "
        "([shortcut audit](shortcut-audit.md)). Older figures, measured before results were kept as "
        "files, are in the [changelog](../../CHANGELOG.md).\n"
    )
    for name, title, label in (
        ("loso_clip_float32", "Four sources, float32 features (the default)", "clip, float32"),
        ("loso_clip_int8", "Four sources, int8 features (`--clip-precision int8`)", "clip, int8"),
        ("loso5_clip_float32", "Five sources: dfdc joins", "clip, float32"),
    ):
        data = load(name)
        if data is None:
            continue
        out.append(f"## {title}\n")
        out.append(table_note(data))
        out.append(_loso_table(data, label))
        if name == "loso5_clip_float32" and "dfdc" in data["sources"]:
            out.append(_dfdc_reading(data))
        out.append(source_note(name, data))
    data = load("tune_loso_cpu")
    if data is not None:
        out.append("## CLIP with tuned LayerNorms (the declared CPU run)\n")
        tuner = data["meta"].get("tuner", {})
        out.append(
            f"Each source held out in turn from the tuning, the probe and the choice of cutoffs; "
            f"{data['meta']['n_items']} items in all, seed {data['meta'].get('seed')}. Tuned: the LayerNorms "
            f"of the last {tuner.get('last_blocks')} blocks and the final norm, {tuner.get('epochs')} epochs, "
            f"robust copies and self-blended fakes from {tuner.get('pseudo_fakes')} of the reals. "
            "Held-out ROC-AUC:\n"
        )
        sources = [s for s in SOURCES if s in data["sources"]]
        frozen, tuned = data["feature_sets"]["clip"], data["feature_sets"]["clip_tuned"]
        rows = [
            ["frozen `clip`, linear probe"]
            + [num(frozen["held_out"][s]["auc"]) for s in sources]
            + [num(frozen["mean_auc"])],
            ["**tuned LayerNorms, linear probe**"]
            + [num(tuned["held_out"][s]["auc"]) for s in sources]
            + [f"**{num(tuned['mean_auc'])}**"],
        ]
        heads = [tuned["held_out"][s].get("head_auc") for s in sources]
        if all(h is not None for h in heads):
            rows.append(["the tuner's own head"] + [num(h) for h in heads] + [num(sum(heads) / len(heads))])
        called = []
        for s in sources:
            side = tuned["held_out"][s]["sides"]["fake"]
            called.append(
                num(side["coverage"], 2) + (f" ({num(side['precision'], 2)})" if side["n_called"] else "")
            )
        rows.append(["fakes called fake at the training cutoffs, tuned (precision)"] + called + [""])
        out.append(
            table(
                [
                    "items per source: "
                    + str(data["sources"][sources[0]]["n_real"])
                    + " + "
                    + str(data["sources"][sources[0]]["n_fake"])
                ]
                + sources
                + ["mean"],
                rows,
            )
        )
        out.append(source_note("tune_loso_cpu", data))
    out.append(_tuned_detector())
    return "\n".join(out)


def _tuned_detector():
    """The five-source detector with tuned LayerNorms against the frozen probe on the same items."""
    data = load("tuned_detector_cpu")
    if data is None:
        return ""
    recipe, steps = data["recipe"], data["steps"]
    out = ["## The five-source tuned detector, at the scale of a CPU\n"]
    out.append(
        f"`python -m experiments.tuned_detector` draws {recipe['per_class']} real and {recipe['per_class']} fake "
        f"items of each source ({data['n_items']} in all), tunes the LayerNorms of the last "
        f"{recipe['last_blocks']} blocks for {recipe['epochs']} epochs (`facetruth tune`, robust copies, "
        f"self-blended fakes {recipe['pseudo_fakes']}), then trains the linear probe on the tuned features "
        "(`facetruth train --clip-norms`) and, for comparison, on the frozen ones, each from a cold cache. "
        "The out-of-fold figures are in-domain and flatter the tuned model, whose norms saw every item the "
        "probe's folds hold out; leave one source out (above) is the figure for unseen sources.\n"
    )
    rows = []
    for name, label in (
        ("tuned", "tuned LayerNorms + linear probe"),
        ("frozen", "frozen `clip` + linear probe"),
    ):
        card = data["models"][name]
        metrics = card["validation_metrics"]
        minutes = steps["train_" + name]["seconds"] / 60 + (
            steps["tune"]["seconds"] / 60 if name == "tuned" else 0
        )
        rows.append(
            [
                label,
                num(metrics["auc"]),
                num(metrics["ap"]),
                num(metrics["eer"]),
                f"{num(card['real_cutoff'])} / {num(card['fake_cutoff'])}",
                f"{minutes:.0f}",
            ]
        )
    out.append(
        table(["model", "out-of-fold AUC", "AP", "EER", "real / fake cutoff", "training, minutes"], rows)
    )
    out.append(source_note("tuned_detector_cpu", data))
    return "\n".join(out)


def _dfdc_reading(data):
    """What the five-source run says about dfdc, with its figures read from the file."""
    held = data["feature_sets"]["clip"]["held_out"]["dfdc"]
    audit = data["sources"]["dfdc"]["audit"]
    return (
        f"dfdc (video face swaps, each fake paired with the real video it was made from) is the hardest "
        f"source for a probe trained on the other four: held-out ROC-AUC {num(held['auc'])}, and it calls "
        f"{round(100 * held['flag_rate_fake'])} % of dfdc's fakes fake. Its fakes are swaps inside real "
        "video frames, small and compressed, which none of the other sources teach. Its audit "
        f"({num(audit['nuisance_auc'])}, above all `{audit['top_features'][0]['name']}`) is a weak shortcut, "
        "so the figure is not flattered.\n"
    )


def table_note(data):
    meta = data["meta"]
    clip = meta.get("clip") or {}
    return (
        f"{meta['n_items']:,} images ({meta['counts']['real']:,} real, {meta['counts']['fake']:,} fake), "
        f"face crops {meta.get('image_size')} px, seed {meta.get('seed')}, `clip` precision "
        f"{clip.get('precision', 'n/a')}; classifier: {meta.get('classifier')}.\n"
    )


def page_in_domain():
    out = [HEADER, "# In-domain results\n"]
    out.append(
        "Detectors trained and tested on the same source: cross-validation within one source, and "
        "held-out items of one source. In-domain figures flatter a detector; the "
        "[leave-one-source-out](leave-one-source-out.md) figures are the ones that say how it does on a "
        "source it never saw.\n"
    )
    rows, used = [], []
    for name, label in (("ciplab_clip_float32", "float32 (the default)"), ("ciplab_clip_int8", "int8")):
        data = load(name)
        if data is None:
            continue
        used.append((name, data))
        s = data["feature_sets"]["clip"]["summary"]
        rows.append(
            [f"`clip`, {label}"]
            + [mean_std(s[k]) for k in ("auc", "ap", "balanced_accuracy", "eer", "brier")]
            + [num(data["audit"]["nuisance_auc"])]
        )
    if rows:
        meta = used[0][1]["meta"]
        out.append("## ciplab, 5-fold cross-validation\n")
        out.append(
            f"{meta['n_items']:,} images ({meta['counts']['real']:,} real, {meta['counts']['fake']:,} fake), "
            f"{meta['folds']} folds ({meta['split']}), seed {meta['seed']}; classifier: {meta['classifier']}. "
            "Mean ± standard deviation over the folds:\n"
        )
        out.append(table(["features", "ROC-AUC", "AP", "bal. acc.", "EER", "Brier", "shortcut audit"], rows))
        for name, data in used:
            out.append(source_note(name, data))
    data = load("verdict_sides")
    if data is not None:
        out.append("## Can each side be reached? One model per source\n")
        out.append(
            "One model per shared source, trained with `facetruth train`'s defaults on a sample of it and "
            "scored on held-out items (dfdc by whole pairs). The cutoffs are the model card's: `real` at or "
            "below the first, `fake` at or above the second, each chosen out of fold for "
            f"{num(next(iter(data['sources'].values()))['card']['confidence'], 2)} confidence. "
            "Share of each held-out class given its verdict, with the precision of that verdict:\n"
        )
        rows = []
        for s, v in data["sources"].items():
            sides = v["held_out"]["sides"]
            rows.append(
                [
                    s,
                    f"{v['n_train']['0']} + {v['n_train']['1']}",
                    num(v["held_out"]["auc"]),
                    f"{num(v['card']['real_cutoff'])}, {num(v['card']['fake_cutoff'])}",
                    f"{num(sides['fake']['coverage'], 2)} ({num(sides['fake']['precision'], 2)})",
                    f"{num(sides['real']['coverage'], 2)} ({num(sides['real']['precision'], 2)})",
                    ", ".join(f"{k} {n}" for k, n in sorted(v["held_out"]["inconclusive"].items())) or "none",
                ]
            )
        out.append(
            table(
                [
                    "source",
                    "trained on (real + fake)",
                    "held-out AUC",
                    "cutoffs (real ≤, fake ≥)",
                    "fakes called fake (precision)",
                    "reals called real (precision)",
                    "inconclusive",
                ],
                rows,
            )
        )
        out.append(source_note("verdict_sides", data))
    return "\n".join(out)


def page_shortcut_audit():
    out = [HEADER, "# Shortcut audit: what each data set gives away\n"]
    out.append(
        "`facetruth audit DATA...` fits small cross-validated models on nuisance properties only (image "
        "size, file size, format, JPEG quality, EXIF, brightness, contrast, the face's size and framing) "
        "and reports the better ROC-AUC as `nuisance_auc`, warning from 0.70. A detector's figure on a set "
        "means little where the audit alone comes close to it. The audits below are the ones stored with "
        "the experiments.\n"
    )
    for name in ("loso5_clip_float32", "loso_clip_float32"):
        data = load(name)
        if data is None or not all(v.get("audit") for v in data["sources"].values()):
            continue
        rows = []
        for s, v in data["sources"].items():
            a = v["audit"]
            top = ", ".join(f"`{t['name']}` ({num(t['auc'], 2)})" for t in a.get("top_features", [])[:3])
            rows.append(
                [
                    s,
                    f"{v['n_real']:,} / {v['n_fake']:,}",
                    f"**{num(a['nuisance_auc'])}**",
                    "yes" if a["warning"] else "no",
                    top,
                ]
            )
        out.append(
            table(
                [
                    "source",
                    "real / fake",
                    "nuisance AUC",
                    "warning",
                    "most telling properties (AUC on its own)",
                ],
                rows,
            )
        )
        out.append(
            "A property's own AUC below 0.5 means that it is larger for the reals. What the audit advises, "
            "per source:\n"
        )
        for s, v in data["sources"].items():
            out.append(f"- **{s}**: {v['audit']['advice']}")
        out.append("")
        out.append(source_note(name, data))
        break
    return "\n".join(out)


def page_robustness():
    out = [HEADER, "# Robustness: the same answer on every machine\n"]
    out.append(
        "A detector's score must not depend on the CPU that computes its features "
        "(see [design](../design.md#same-answer-on-every-machine)). "
        "`benchmarks/check_portability.py` embeds real faces natively and again under "
        "`qemu-x86_64 -cpu Haswell` (an AVX2-only CPU, emulated instruction by instruction) and applies "
        "to both a logistic regression fitted on other images' native features.\n"
    )
    data = load("portability")
    if data is not None:
        labels = {
            "float32": "**float32 (the default)**",
            "int8": "int8, exact kernel (`--clip-precision int8`)",
            "published": "int8 as published, U8S8 everywhere",
        }
        rows = []
        for key, a in data["agreement"].items():
            k = a["kernel"]
            kernel = "-" if k["native"] is None else f"{k['native'].upper()} / {k['emulated'].upper()}"
            c = a["cosine_native_emulated"]
            rows.append(
                [
                    labels.get(key, key),
                    kernel,
                    f"{num(c['min'], 5)} / {num(c['median'], 5)}",
                    num(a["prob_fake_max_abs_diff"]),
                    num(a["cosine_to_float32"]["emulated"]["min"]),
                ]
            )
        n = len(data["data"]["faces"])
        out.append(
            f"{n} faces, {data['data']['n_train']} training images; machine: "
            f"{data['machine']['native']['model']}, {data['machine']['native']['cores']} cores, emulated: "
            f"`{data['machine']['emulator']}`.\n"
        )
        out.append(
            table(
                [
                    "`clip` features computed in",
                    "kernel native / emulated",
                    "cosine native vs emulated, min / median",
                    "largest change of P(fake)",
                    "cosine to float32, emulated, min",
                ],
                rows,
            )
        )
        if data.get("commit_note"):
            out.append(f"Note recorded with the run: {data['commit_note']}\n")
        out.append(source_note("portability", data))
    out.append("## Degraded images\n")
    out.append(
        "How detectors hold up under JPEG, resizing, blur and noise was measured before results were kept "
        "as files; those figures are historical and are in the [changelog](../../CHANGELOG.md), with the "
        "curves of that run:\n\n![robustness curves](../robustness.png)\n"
    )
    return "\n".join(out)


def page_speed():
    out = [HEADER, "# Speed\n"]
    out.append(
        "Measured on a shared 2-core CPU unless a file says otherwise: read the ratios within one run "
        "rather than the absolute figures. No GPU was used for these measurements.\n"
    )
    data = load("bench_features_clip")
    if data is not None:
        out.append("## Feature families\n")
        if data.get("note"):
            out.append(f"Recorded with the run: {data['note']}; {data['size']} px crops.\n")
        rows = []
        for fam, v in data["families"].items():
            rows.append(
                [
                    FAMILY_LABELS.get(fam, fam),
                    num(v.get("n_jobs=1"), 1),
                    num(v.get("n_jobs=2"), 1),
                    num(v.get("per_cpu_second"), 1),
                ]
            )
        out.append(
            table(["family", "images/s, 1 process", "images/s, `n_jobs=2`", "images per CPU-second"], rows)
        )
        ref = data.get("naive_reference")
        if ref:
            out.append(
                f"Naive reference (scikit-image LBP + `numpy.fft`, one core): "
                f"{num(ref['naive_lbp_fft_images_per_s'], 1)} images/s; FaceTruth's LBP + FFT on one core "
                f"{num(ref['facetruth_lbp_fft_images_per_s'], 1)} images/s ({num(ref['speedup'], 1)}x); the four "
                f"families with two processes {num(ref['all_four_n_jobs_2_over_naive'], 1)}x the reference.\n"
            )
        first = data.get("lbp_first_call_s")
        if first:
            out.append(
                f"First `lbp` call of a fresh process: {num(first['compile'], 2)} s compiling the numba kernel, "
                f"{num(first['cached'], 2)} s with the compiled kernel cached on disk.\n"
            )
        rows = [
            [
                r["precision"],
                r["n_jobs"],
                r["batch_size"],
                r["option"],
                num(r["ms_per_image"], 1),
                num(r["cpu_ms_per_image"], 1),
                num(r["images_per_s"], 1),
            ]
            for r in data.get("clip_cpu", {}).get("rows", [])
        ]
        if rows:
            out.append(
                "The `clip` embedding on CPU (option `all`: the CLS tokens of all 12 blocks; `flip`: "
                "the mirror image too):\n"
            )
            out.append(
                table(
                    ["precision", "threads", "batch", "option", "ms/image", "CPU ms/image", "images/s"], rows
                )
            )
        out.append(source_note("bench_features_clip", data))
    data = load("portability")
    if data is not None and data.get("ms_per_image_native"):
        out.append("## The `clip` paths, one thread\n")
        out.append("Timed by the portability check while the machine was busy (read the ratios):\n")
        out.append(
            table(["path", "ms/image"], [[k, num(v, 1)] for k, v in data["ms_per_image_native"].items()])
        )
        out.append(source_note("portability", data))
    data = load("bench_fit")
    if data is not None:
        out.append("## Fitting the default pipeline\n")
        out.append(
            "`build_pipeline(features=...).fit(paths, labels)` on hardfake images, and the steps again "
            "one by one; the detector's classifier on one thread and on every core (medians):\n"
        )
        rows = []
        for r in data["rows"]:
            s, t = r["steps"], r["detector_threads"]
            rows.append(
                [
                    f"`{r['features']}`",
                    r["n_images"],
                    f"{num(r['fit']['wall_s'], 1)} s",
                    f"{num(s['decode_crop']['wall_s'], 1)} s",
                    f"{num(s['features']['wall_s'], 1)} s",
                    f"{num(s['detector']['wall_s'], 1)} s",
                    f"{num(t['one']['median_wall_s'], 1)} s",
                    f"{num(t['all']['median_wall_s'], 1)} s",
                ]
            )
        out.append(
            table(
                [
                    "features",
                    "images",
                    "`fit`",
                    "decode + crop",
                    "features",
                    "detector",
                    "detector, one thread",
                    "detector, every core",
                ],
                rows,
            )
        )
        out.append(f"More in [`results/bench_fit/README.md`]({LINK_PREFIX}bench_fit/README.md).\n")
        out.append(source_note("bench_fit", data))
    rows, used = [], []
    for file, label in (("results.json", "shared cores"), ("results_priority.json", "cores to itself")):
        data = load("bench_cores", file)
        if data is None:
            continue
        used.append((file, data))
        med, ratio = data["commands"]["median_images_per_s"], data["commands"]["after_over_before"]
        for step in ("train", "predict", "evaluate"):
            rows.append(
                [label, step, num(med["before"][step], 2), num(med["after"][step], 2), num(ratio[step], 2)]
            )
    if rows:
        out.append("## One core against every core\n")
        out.append("Images/s of the default detector with `--n-jobs 1` and `--n-jobs -1` (medians):\n")
        out.append(table(["run", "step", "`--n-jobs 1`", "`--n-jobs -1`", "ratio"], rows))
        out.append(f"More in [`results/bench_cores/README.md`]({LINK_PREFIX}bench_cores/README.md).\n")
        for file, data in used:
            out.append(source_note("bench_cores", data, file))
    data = load("bench_cold")
    if data is not None:
        out.append("## Cold start of `facetruth predict`\n")
        rows = []

        def add(label, c, imported=""):
            rows.append([label, num(c["median_s"], 2), num(c["peak_rss_mb"], 0), imported])

        cmds, cold = data["commands"], data.get("cold_predict", {})
        for key, c in cmds.items():
            model = key.split(", ", 1)[1] if key.startswith("cold predict, ") else None
            imported = ", ".join(cold.get(model, {}).get("imported", [])) if model else ""
            add(
                f"`{key}`" if model is None else f"predict, {model} model ({data['models'][model]['how']})",
                c,
                imported,
            )
        for key in ("clip_fresh_cache", "clip_before", "before"):
            extra = data.get(key)
            if isinstance(extra, dict):
                given = [v for k, v in extra.get("commands", {}).items() if k.startswith("cold predict")]
                if given:
                    imported = ", ".join((extra.get("cold_predict") or {}).get("imported", []))
                    runs = f", {extra['runs']} runs" if extra.get("runs") else ""
                    add(f"{COLD_LABELS.get(key, key)} (`{key}` in the file{runs})", given[0], imported)
        out.append(table(["command", "median s", "peak RSS MB", "heavy modules imported"], rows))
        targets = data.get("targets")
        if targets:
            out.append(
                f"Targets: at most {targets['ratio_to_bare_import']} times the bare import, at most "
                f"{targets['peak_rss_mb']} MB.\n"
            )
        out.append(f"More in [`results/bench_cold/README.md`]({LINK_PREFIX}bench_cold/README.md).\n")
        out.append(source_note("bench_cold", data))
    data = load("bench_clip_tune")
    if data is not None:
        out.append("## Tuning CLIP's LayerNorms\n")
        proj = data.get("projection", {})
        rows = [
            [
                r["last_blocks"],
                f"{r['tuned_parameters']:,}",
                num(r["token_s_per_image"], 3),
                num(r["epoch_s_per_image"], 3),
                num(r["projected_hours"], 1),
            ]
            for r in data["tuning"]
        ]
        out.append(
            table(
                [
                    "K (tuned blocks)",
                    "parameters",
                    "kept tokens, s/image (once)",
                    "s per image and epoch",
                    f"hours for {proj.get('rows', '?'):,} rows, {proj.get('epochs', '?')} epochs",
                ],
                rows,
            )
        )
        inf = data.get("inference_ms_per_image")
        if inf:
            out.append(
                f"Inference: {num(inf['frozen'], 1)} ms per image with the frozen encoder, "
                f"{num(inf['tuned'], 1)} ms with tuned norms.\n"
            )
        out.append(source_note("bench_clip_tune", data))
    return "\n".join(out)


def page_index():
    out = [HEADER, "# Results\n"]
    out.append(
        "Every figure in the README and on these pages comes from a committed `results/<name>/results.json` "
        "that holds the command that re-runs it, the commit, a hash of the data and the machine. Pages: "
        "[leave one source out](leave-one-source-out.md), [in-domain](in-domain.md), "
        "[shortcut audit](shortcut-audit.md), [robustness](robustness.md), [speed](speed.md). Figures "
        "measured before results were kept as files are in the [changelog](../../CHANGELOG.md), labelled as "
        "historical.\n"
    )
    rows = []
    for path in sorted(RESULTS.glob("*/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            continue
        name, file = path.parent.name, path.name
        command, commit, date = provenance(data)
        rows.append(
            [
                link(name, file),
                WHAT.get(name, ""),
                f"`{commit[:7]}`" if commit else "n/a",
                date[:10] if date else "n/a",
            ]
        )
    out.append(table(["file", "what", "commit", "date"], rows))
    return "\n".join(out)


PAGES = {
    "index.md": page_index,
    "leave-one-source-out.md": page_loso,
    "in-domain.md": page_in_domain,
    "shortcut-audit.md": page_shortcut_audit,
    "robustness.md": page_robustness,
    "speed.md": page_speed,
}


def render():
    """``{file name: text}`` of every results page, rendered from ``results/`` now."""
    return {name: re.sub(r"\n{3,}", "\n\n", build()).rstrip("\n") + "\n" for name, build in PAGES.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with docs/results/ and write nothing")
    args = parser.parse_args(argv)
    pages = render()
    if args.check:
        stale = [
            n
            for n, text in pages.items()
            if not (OUT / n).is_file() or (OUT / n).read_text(encoding="utf-8") != text
        ]
        for n in stale:
            print(f"docs/results/{n} differs from a fresh rendering: run python docs/render_results.py")
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for n, text in pages.items():
        (OUT / n).write_text(text, encoding="utf-8")
        print(f"wrote docs/results/{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
