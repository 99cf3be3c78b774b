// FaceTruth upload page: posts images to /api/v1/predict and draws each verdict.
// All server text is inserted with textContent, never as HTML.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const page = document.getElementById("page");
  const input = document.getElementById("files");
  const drop = document.getElementById("drop");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const template = document.getElementById("result-template");
  const VERDICTS = ["real", "fake", "inconclusive"];
  // reasons without a verdict whose server message adds facts (sizes, distances) to the sentence
  const EXPLAINED = ["no_face", "face_too_small", "out_of_distribution"];
  // one scale for every image, per unit: a bar reaching the edge is this strong a push
  const SCALE = { "log-odds": 4, "probability": 0.5 };
  const SCALE_NOTE = {
    "log-odds": "A bar reaching the edge is a strong push: on its own it would turn even odds into about 98 to 2.",
    "probability": "A bar reaching the edge moves P(fake) by 0.5 or more.",
  };
  const faceSearch = page.dataset.face !== "off";
  const scoredSide = parseInt(page.dataset.scoredSide, 10) || null;
  const familyWords = JSON.parse(page.dataset.families || "{}");
  let card = null;
  let batches = 0;

  // the mean training spectra; the whole card (tens of KB) is only fetched when its link is followed
  fetch("/api/v1/model/summary")
    .then((r) => (r.ok ? r.json() : null))
    .then((c) => { card = c; })
    .catch(() => {});

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // the square the loader scores without a face: the centre square of the short side (or a fixed side)
  function centreSquare(width, height) {
    const side = scoredSide || Math.min(width, height);
    return [(width - side) / 2, (height - side) / 2, side];
  }

  function boxNote(row, whole) {
    if (row.face_box) return "Face box in yellow.";
    const part = whole ? "the whole image was scored." : "the square in the middle (dashed outline) was scored.";
    if (row.face_method === "off" || !faceSearch) return "Face search is off for this model: " + part;
    return "No face found: " + part;
  }

  function drawPhoto(canvas, file, row, note) {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = function () {
      const w = img.naturalWidth, h = img.naturalHeight;
      const scale = Math.min(1, 320 / Math.max(w, h));
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      const ctx = canvas.getContext("2d");
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      const box = row.face_box;
      let whole = false;
      if (box) {
        ctx.strokeStyle = "#ffd400";
        ctx.lineWidth = 3;
        ctx.strokeRect(box[0] * scale, box[1] * scale, (box[2] - box[0]) * scale, (box[3] - box[1]) * scale);
      } else {
        const [x, y, side] = centreSquare(w, h);
        whole = side === w && side === h;
        if (!whole) {
          ctx.strokeStyle = "#ffd400";
          ctx.lineWidth = 2;
          ctx.setLineDash([6, 4]);
          ctx.strokeRect(x * scale, y * scale, side * scale, side * scale);
        }
      }
      note.textContent = boxNote(row, whole);
      URL.revokeObjectURL(url);
    };
    img.onerror = function () {
      note.textContent = boxNote(row, false).replace(" (dashed outline)", "");
      URL.revokeObjectURL(url);
    };
    img.src = url;
  }

  // one bar per feature family, all images on the same scale; none for a model with one family
  function drawBars(why, contributions, unit) {
    const entries = Object.entries(contributions || {});
    if (entries.length < 2) {
      why.remove();
      return;
    }
    const container = why.querySelector(".bars");
    const scale = SCALE[unit] || 1;
    for (const [family, value] of entries) {
      const row = el("div", "bar");
      row.dataset.family = family;
      row.title = family + ": " + value.toFixed(3) + " " + (unit || "");
      const track = el("div", "track");
      const share = Math.min(1, Math.abs(value) / scale);
      const fill = el("div", "fill " + (value >= 0 ? "fake" : "real") + (share >= 1 ? " clipped" : ""));
      fill.style.width = (50 * share).toFixed(1) + "%";
      track.appendChild(fill);
      const direction = Math.abs(value) < 1e-3 * scale ? "no push" : value > 0 ? "towards fake" : "towards real";
      row.append(el("span", "family", familyWords[family] || family), track, el("span", "value", direction));
      container.appendChild(row);
    }
    if (SCALE_NOTE[unit]) why.querySelector(".unit").append(" " + SCALE_NOTE[unit]);
  }

  function svgNode(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // plot area: x 40..330, y 10..180
  function polyline(values, lo, hi, colour, dash) {
    const n = values.length;
    const pts = values.map((v, i) => {
      const x = 40 + (290 * i) / Math.max(1, n - 1);
      const y = 10 + 170 * (1 - (v - lo) / Math.max(1e-9, hi - lo));
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    const attrs = { points: pts.join(" "), fill: "none", stroke: colour, "stroke-width": "2" };
    if (dash) attrs["stroke-dasharray"] = dash;
    return svgNode("polyline", attrs);
  }

  function drawSpectrum(container, spectrum) {
    const means = (card && card.mean_log_spectrum) || {};
    const series = [[spectrum, "#1d1d1f", null, "this image"]];
    if (means.real) series.push([means.real, "#1b6e3a", "6 3", "average real"]);
    if (means.fake) series.push([means.fake, "#b3261e", "2 3", "average fake"]);
    const all = series.flatMap((s) => s[0]);
    const lo = Math.min(...all), hi = Math.max(...all);
    const svg = svgNode("svg", { viewBox: "0 0 340 230", role: "img",
      "aria-label": "Strength of the image's patterns from coarse to fine detail" });
    svg.appendChild(svgNode("path", { d: "M40 10 V180 H330", fill: "none", stroke: "#999" }));
    series.forEach(([values, colour, dash, name], k) => {
      svg.appendChild(polyline(values, lo, hi, colour, dash));
      svg.appendChild(svgNode("text", { x: 220, y: 24 + 14 * k, "font-size": 11, fill: colour }, name));
    });
    const muted = { "font-size": 11, fill: "#666" };
    svg.appendChild(svgNode("text", { ...muted, x: 40, y: 196 }, "broad shapes"));
    svg.appendChild(svgNode("text", { ...muted, x: 330, y: 196, "text-anchor": "end" }, "finest detail"));
    svg.appendChild(svgNode("text", { ...muted, x: 185, y: 222, "text-anchor": "middle", class: "axis-x" },
      "size of detail \u2192"));
    svg.appendChild(svgNode("text", { ...muted, x: 0, y: 0, "text-anchor": "middle", class: "axis-y",
      transform: "translate(16 95) rotate(-90)" }, "strength \u2192"));
    container.appendChild(svg);
  }

  function show(batch, file, row) {
    const node = template.content.firstElementChild.cloneNode(true);
    node.querySelector(".name").textContent = row.path;
    const verdict = node.querySelector(".verdict");
    if (row.error) {
      // a file that could not be read: only what is known, no empty explanation or photo
      node.classList.add("failed");
      verdict.textContent = "Could not read this file";
      verdict.classList.add("failed");
      node.querySelector(".error").textContent = row.error;
      for (const sel of [".why", ".photo-figure", ".spectrum-details", ".sentence", ".message"]) {
        node.querySelector(sel).remove();
      }
      batch.appendChild(node);
      return node;
    }
    node.querySelector(".error").remove();
    // real, fake or inconclusive: an inconclusive row is drawn in neutral grey, never red or green
    const name = VERDICTS.includes(row.verdict) ? row.verdict : "inconclusive";
    verdict.textContent = name.toUpperCase();
    verdict.classList.add(name);
    const sentence = node.querySelector(".sentence");
    sentence.textContent = row.sentence || row.message || "";
    sentence.classList.add(name);
    const message = node.querySelector(".message");
    if (EXPLAINED.includes(row.reason) && row.message) {
      message.textContent = row.message;
      message.classList.add("inconclusive");
    } else {
      message.remove();
    }
    drawBars(node.querySelector(".why"), row.contributions, row.contribution_unit);
    if (row.spectrum) drawSpectrum(node.querySelector(".spectrum"), row.spectrum);
    else node.querySelector(".spectrum-details").remove();
    drawPhoto(node.querySelector(".photo"), file, row, node.querySelector(".box-note"));
    batch.appendChild(node);
    return node;
  }

  function setStatus(text, kind) {
    status.textContent = text;
    status.classList.toggle("error", kind === "error");
    status.classList.toggle("warning", kind === "warning");
  }

  // each upload gets its own section, newest first, under a heading that numbers it
  function newBatch(count) {
    batches += 1;
    const batch = el("section", "batch");
    batch.dataset.batch = String(batches);
    const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const images = count === 1 ? "1 image" : count + " images";
    batch.appendChild(el("h2", "batch-title", "Upload " + batches + ": " + images + ", " + time));
    results.prepend(batch);
    return batch;
  }

  async function upload(files) {
    if (!files.length) return;
    const form = new FormData();
    for (const f of files) form.append("files", f, f.name);
    setStatus("Scoring " + files.length + " image(s)...");
    const batch = newBatch(files.length);
    try {
      const response = await fetch("/api/v1/predict", { method: "POST", body: form });
      const body = await response.json();
      (body.results || []).forEach((row, k) => show(batch, files[k], row));
      const failed = (body.results || []).filter((row) => row.error).length;
      if (!response.ok) {
        setStatus("Error: " + (body.error || response.status), "error");
        if (!body.results) batch.appendChild(el("p", "error", body.error || "HTTP " + response.status));
      } else if (failed) {
        setStatus("Done: " + failed + " of " + body.results.length + " files could not be read.", "warning");
      } else setStatus("Done.");
    } catch (err) {
      setStatus("Error: the server could not be reached (" + err + ").", "error");
      batch.appendChild(el("p", "error", "The server could not be reached."));
    }
  }

  input.addEventListener("change", () => {
    const files = Array.from(input.files);
    input.value = ""; // choosing the same file again is a new upload
    upload(files);
  });
  ["dragenter", "dragover"].forEach((t) =>
    drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) =>
    drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => upload(Array.from(e.dataTransfer.files)));
})();
