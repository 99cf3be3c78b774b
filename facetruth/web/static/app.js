// FaceTruth upload page: posts images to /api/v1/predict and draws each verdict.
// All server text is inserted with textContent, never as HTML.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const input = document.getElementById("files");
  const drop = document.getElementById("drop");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const template = document.getElementById("result-template");
  const VERDICTS = ["real", "fake", "inconclusive"];
  let card = null;

  // the page's few model facts; the whole card (tens of KB) is only fetched when its link is followed
  fetch("/api/v1/model/summary")
    .then((r) => (r.ok ? r.json() : null))
    .then((c) => {
      card = c;
      if (!c) return;
      const auc = typeof c.validation_auc === "number" ? c.validation_auc.toFixed(3) : "n/a";
      document.getElementById("model-facts").textContent = "Model: features " +
        (c.features || ["?"]).join(", ") + "; out-of-fold AUC " + auc + "; trained " + (c.created || "?") + ".";
    })
    .catch(() => {});

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function drawPhoto(canvas, file, box, note) {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = function () {
      const scale = Math.min(1, 320 / Math.max(img.naturalWidth, img.naturalHeight));
      canvas.width = Math.round(img.naturalWidth * scale);
      canvas.height = Math.round(img.naturalHeight * scale);
      const ctx = canvas.getContext("2d");
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      if (box) {
        ctx.strokeStyle = "#ffd400";
        ctx.lineWidth = 3;
        ctx.strokeRect(box[0] * scale, box[1] * scale, (box[2] - box[0]) * scale, (box[3] - box[1]) * scale);
      }
      URL.revokeObjectURL(url);
    };
    img.onerror = function () { URL.revokeObjectURL(url); };
    img.src = url;
    note.textContent = box ? "Face box in yellow." : "No face found: the centre of the image was scored.";
  }

  function drawBars(container, contributions, unit, unitNote) {
    if (!contributions) {
      container.textContent = "Not available for this model.";
      return;
    }
    const entries = Object.entries(contributions);
    const scale = Math.max(1e-9, ...entries.map(([, v]) => Math.abs(v)));
    for (const [family, value] of entries) {
      const row = el("div", "bar");
      row.dataset.family = family;
      const track = el("div", "track");
      const fill = el("div", "fill " + (value >= 0 ? "fake" : "real"));
      fill.style.width = (50 * Math.abs(value) / scale).toFixed(1) + "%";
      track.appendChild(fill);
      row.append(el("span", "family", family), track, el("span", "value", value.toFixed(3)));
      container.appendChild(row);
    }
    unitNote.textContent = "Right (red) pushes towards fake, left (green) towards real; units: " + (unit || "?") + ".";
  }

  function polyline(svg, values, lo, hi, colour, dash) {
    const n = values.length;
    const pts = values.map((v, i) => {
      const x = 30 + (300 * i) / Math.max(1, n - 1);
      const y = 10 + 180 * (1 - (v - lo) / Math.max(1e-9, hi - lo));
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", pts.join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", colour);
    line.setAttribute("stroke-width", "2");
    if (dash) line.setAttribute("stroke-dasharray", dash);
    svg.appendChild(line);
  }

  function label(svg, x, y, text, colour) {
    const t = document.createElementNS(SVG, "text");
    t.setAttribute("x", x);
    t.setAttribute("y", y);
    t.setAttribute("font-size", "11");
    t.setAttribute("fill", colour);
    t.textContent = text;
    svg.appendChild(t);
  }

  function drawSpectrum(container, spectrum) {
    if (!spectrum) return;
    const means = (card && card.mean_log_spectrum) || {};
    const series = [[spectrum, "#1d1d1f", null, "this image"]];
    if (means.real) series.push([means.real, "#1b6e3a", "6 3", "mean real"]);
    if (means.fake) series.push([means.fake, "#b3261e", "2 3", "mean fake"]);
    const all = series.flatMap((s) => s[0]);
    const lo = Math.min(...all), hi = Math.max(...all);
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 340 220");
    svg.setAttribute("role", "img");
    series.forEach(([values, colour, dash, name], k) => {
      polyline(svg, values, lo, hi, colour, dash);
      label(svg, 200, 24 + 14 * k, name, colour);
    });
    label(svg, 30, 212, "0", "#666");
    label(svg, 250, 212, "Nyquist", "#666");
    label(svg, 2, 14, hi.toFixed(1), "#666");
    label(svg, 2, 190, lo.toFixed(1), "#666");
    container.appendChild(svg);
  }

  function show(file, row) {
    const node = template.content.firstElementChild.cloneNode(true);
    node.querySelector(".name").textContent = row.path;
    const verdict = node.querySelector(".verdict");
    if (row.error) {
      // a file that could not be read: only what is known, no empty explanation or photo
      node.classList.add("failed");
      verdict.textContent = "Could not read this file";
      verdict.classList.add("failed");
      node.querySelector(".error").textContent = row.error;
      for (const sel of [".why", ".photo-figure", ".spectrum-figure", ".prob", ".message", ".threshold"]) {
        node.querySelector(sel).remove();
      }
      results.prepend(node);
      return node;
    }
    node.querySelector(".error").remove();
    // real, fake or inconclusive: an inconclusive row is drawn in neutral grey, never red or green
    const name = VERDICTS.includes(row.verdict) ? row.verdict : "inconclusive";
    verdict.textContent = name.toUpperCase();
    verdict.classList.add(name);
    node.querySelector(".prob").textContent = "P(fake) = " + row.prob_fake.toFixed(3);
    const message = node.querySelector(".message");
    message.textContent = row.message || "";
    if (name === "inconclusive") message.classList.add("inconclusive");
    drawBars(node.querySelector(".bars"), row.contributions, row.contribution_unit, node.querySelector(".unit"));
    if (row.spectrum) drawSpectrum(node.querySelector(".spectrum"), row.spectrum);
    else node.querySelector(".spectrum-figure").remove();
    node.querySelector(".threshold").textContent = "threshold = " + row.threshold.toFixed(3);
    drawPhoto(node.querySelector(".photo"), file, row.face_box, node.querySelector(".box-note"));
    results.prepend(node);
    return node;
  }

  function setStatus(text, kind) {
    status.textContent = text;
    status.classList.toggle("error", kind === "error");
    status.classList.toggle("warning", kind === "warning");
  }

  async function upload(files) {
    if (!files.length) return;
    const form = new FormData();
    for (const f of files) form.append("files", f, f.name);
    setStatus("Scoring " + files.length + " image(s)...");
    try {
      const response = await fetch("/api/v1/predict", { method: "POST", body: form });
      const body = await response.json();
      if (body.results) {
        body.results.slice().reverse().forEach((row, k) => show(files[files.length - 1 - k], row));
      }
      const failed = (body.results || []).filter((row) => row.error).length;
      if (!response.ok) setStatus("Error: " + (body.error || response.status), "error");
      else if (failed) setStatus("Done: " + failed + " of " + body.results.length + " files could not be read.", "warning");
      else setStatus("Done.");
    } catch (err) {
      setStatus("Error: the server could not be reached (" + err + ").", "error");
    }
  }

  input.addEventListener("change", () => upload(Array.from(input.files)));
  ["dragenter", "dragover"].forEach((t) =>
    drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) =>
    drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => upload(Array.from(e.dataTransfer.files)));
})();
