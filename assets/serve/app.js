"use strict";
// ressim serve: the what-if page. Plain JavaScript, no build step, no other host.
(function () {
  const TOKEN = new URLSearchParams(location.search).get("token") || "";
  const SESSION = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
  const SVGNS = "http://www.w3.org/2000/svg";
  const T = {
    scenario: ["Scenarie", "Scenario"],
    business_case: ["Business case", "Business case"],
    pin: ["Fastgør resultatet til sammenligning", "Pin this result to compare"],
    unpin: ["Fjern det fastgjorte resultat", "Remove the pinned result"],
    dl_variant: ["Hent varianten (TOML)", "Download the variant (TOML)"],
    dl_report: ["Hent report.html", "Download report.html"],
    dl_workbook: ["Hent workbook.xlsx", "Download workbook.xlsx"],
    dl_note: ["Rapport og regneark er de samme filer, som ressim run skriver (med søgning efter break-even; det tager lidt tid).", "The report and workbook are the files ressim run writes (with the break-even search; it takes a moment)."],
    chart_payers: ["Netto pr. betaler og budgetår (besparelse − investering)", "Net per payer and budget year (savings − investment)"],
    chart_staffing: ["Udnyttelse af kapaciteten (linjer, venstre akse) og gennemsnitlig kø (stiplet, højre akse) pr. måned", "Capacity utilisation (lines, left axis) and mean queue (dashed, right axis) per month"],
    chart_occupancy: ["Borgere pr. status over tid, pr. arm", "Citizens by state over time, per arm"],
    assumptions: ["Antagelser", "Assumptions"],
    assumptions_note: ["Ændr et tal; resultatet regnes straks igen. Ugyldige værdier afvises med samme besked som i scenariefilen.", "Change a number; the result is computed again at once. Invalid values are refused with the same message as in the scenario file."],
    effect_scale: ["Virkningernes skala", "Effect scale"],
    footer: ["Lokal side fra ressim serve; den henter intet fra andre steder.", "Local page from ressim serve; it loads nothing from anywhere else."],
    perspective: ["Perspektiv", "Perspective"],
    investment: ["Investering", "Investment"],
    savings: ["Bruttobesparelse", "Gross saving"],
    npv: ["Nutidsværdi", "NPV"],
    interval: ["95 %-interval (mio. kr.)", "95 % interval (DKK m)"],
    pinned: ["Fastgjort", "Pinned"],
    diff: ["Forskel", "Difference"],
    quick: ["Hurtigt resultat", "Quick result"],
    final: ["Endeligt resultat", "Final result"],
    running: ["Regner", "Computing"],
    reps: ["replikationer", "replications"],
    of: ["af", "of"],
    loading: ["Indlæser …", "Loading …"],
    invalid: ["Rettes, før der kan regnes", "Fix this before the model can run"],
    source: ["Kilde", "Source"],
    no_source: ["ingen kilde angivet", "no source given"],
    month: ["måned", "month"],
    basis: ["mod", "vs"],
    price_year: ["prisår", "price year"],
    seed: ["frø", "seed"],
    changed: ["ændret", "changed"],
    shipped: ["medfølger", "shipped"],
    reset: ["Nulstil", "Reset"],
  };
  let lang = "da";
  const tr = (k) => (T[k] ? T[k][lang === "da" ? 0 : 1] : k);
  const L = (o) => (o && typeof o === "object" ? o[lang] || o.da || "" : String(o == null ? "" : o));
  const $ = (id) => document.getElementById(id);
  const state = { scenario: null, info: null, original: {}, changes: {}, effect: 1, view: null, run: null, pinned: null, controller: null, timer: null, seq: 0 };

  function headers(json) {
    const h = { "X-Ressim-Token": TOKEN };
    if (json) h["Content-Type"] = "application/json";
    return h;
  }
  async function api(path, body, signal) {
    const res = await fetch(path, body === undefined ? { headers: headers(false), signal } : { method: "POST", headers: headers(true), body: JSON.stringify(body), signal });
    let data = null;
    try { data = await res.json(); } catch (_) { data = { error: "HTTP " + res.status }; }
    if (!res.ok) { const e = new Error(data.error || "HTTP " + res.status); e.status = res.status; e.data = data; throw e; }
    return data;
  }

  // Numbers in the report's formats.
  function num(v, d) {
    if (!isFinite(v)) return "–";
    const s = Math.abs(v).toFixed(d);
    let [i, f] = s.split(".");
    const sep = lang === "da" ? "." : ",";
    i = i.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
    const neg = v < 0 && /[1-9]/.test(s) ? "−" : "";
    return neg + i + (d > 0 ? (lang === "da" ? "," : ".") + f : "");
  }
  const mioAxis = (v) => num(v / 1e6, Math.abs(v) >= 1e7 || v === 0 ? 0 : 1) + " mio.";
  const pctAxis = (v) => num(v * 100, 0) + " %";
  const mioText = (v) => (lang === "da" ? num(v / 1e6, 1) + " mio. kr." : "DKK " + num(v / 1e6, 1) + "m");

  function setTexts() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = tr(el.dataset.t); });
    $("lang").textContent = lang === "da" ? "English" : "Dansk";
  }

  function status(kind, text) {
    document.body.dataset.state = kind;
    $("status").textContent = text;
  }
  function showError(msg) {
    const e = $("error");
    e.hidden = !msg;
    e.textContent = msg || "";
  }

  // ---- Scenarios and their assumptions ----
  async function loadList() {
    const data = await api("/api/scenarios");
    const sel = $("scenario");
    sel.textContent = "";
    for (const s of data.scenarios) {
      const o = document.createElement("option");
      o.value = s.id;
      o.disabled = !!s.error;
      o.textContent = s.name + (s.shipped ? " (" + tr("shipped") + ")" : "") + (s.error ? " — " + s.error.split("\n")[0] : "");
      sel.appendChild(o);
    }
    sel.value = data.scenarios[0].id;
  }

  async function loadScenario(id) {
    state.scenario = id;
    state.changes = {};
    state.original = {};
    state.info = await api("/api/scenario?id=" + encodeURIComponent(id));
    renderParams();
    $("title").textContent = L(state.info.title);
    schedule(0);
  }

  function renderParams() {
    const root = $("groups");
    root.textContent = "";
    if (!state.info) return;
    for (const g of state.info.groups) {
      const det = document.createElement("details");
      det.className = "group";
      det.open = g.id === "staffing" || g.id === "time";
      det.dataset.group = g.id;
      const sum = document.createElement("summary");
      sum.textContent = L(g.label) + " (" + g.params.length + ")";
      det.appendChild(sum);
      for (const p of g.params) det.appendChild(paramRow(p, g.id));
      root.appendChild(det);
    }
  }

  function paramRow(p, group) {
    const div = document.createElement("div");
    div.className = "param";
    div.dataset.param = p.key;
    const name = document.createElement("div");
    name.className = "name";
    name.textContent = L(p.label);
    div.appendChild(name);
    const key = document.createElement("div");
    key.className = "key";
    key.textContent = p.key + " — " + (p.dist === "fixed" ? p.describe : p.dist + ": " + p.describe);
    div.appendChild(key);
    const inputs = document.createElement("div");
    inputs.className = "inputs";
    for (const f of p.fields) {
      const k = p.key + "." + f.field;
      state.original[k] = f.value;
      const lab = document.createElement("label");
      lab.textContent = f.field + " ";
      const inp = document.createElement("input");
      inp.type = "number";
      inp.step = "any";
      inp.value = String(f.value);
      inp.dataset.key = k;
      inp.setAttribute("aria-label", L(p.label) + " " + f.field);
      lab.appendChild(inp);
      inputs.appendChild(lab);
      let slider = null;
      if (group === "staffing" && /\.fte$/.test(p.key) && f.field === "value") {
        slider = document.createElement("input");
        slider.type = "range";
        slider.min = "0";
        slider.max = String(Math.max(10, Math.ceil(f.value * 2.5)));
        slider.step = "0.5";
        slider.value = String(f.value);
        slider.dataset.slider = k;
        slider.setAttribute("aria-label", L(p.label));
        slider.addEventListener("input", () => { inp.value = slider.value; changed(k, inp.value, div); });
        inputs.appendChild(slider);
      }
      inp.addEventListener("input", () => { if (slider) slider.value = inp.value; changed(k, inp.value, div); });
    }
    div.appendChild(inputs);
    const err = document.createElement("span");
    err.className = "err";
    err.dataset.err = p.key;
    div.appendChild(err);
    const src = document.createElement("div");
    src.className = "src";
    src.textContent = tr("source") + ": " + (p.source || tr("no_source"));
    div.appendChild(src);
    return div;
  }

  function changed(k, text, row) {
    const v = text.trim() === "" ? NaN : Number(text);
    if (v === state.original[k]) delete state.changes[k];
    else state.changes[k] = isFinite(v) ? v : text;
    row.classList.toggle("changed", Object.keys(state.changes).some((c) => c.startsWith(row.dataset.param + ".")));
    schedule(250);
  }

  // ---- Running: quick, then full; a change cancels the run in flight ----
  function schedule(ms) {
    clearTimeout(state.timer);
    state.timer = setTimeout(runAll, ms);
  }

  function clearFieldErrors() {
    document.querySelectorAll(".err").forEach((e) => { e.textContent = ""; });
    document.querySelectorAll(".param.invalid").forEach((e) => e.classList.remove("invalid"));
  }
  function fieldErrors(fields) {
    let unplaced = [];
    for (const f of fields || []) {
      let placed = false;
      if (f.key) {
        const param = f.key === "effect_scale" ? "effect_scale" : Object.keys(state.original).some((k) => k === f.key) ? f.key.replace(/\.[^.]+$/, "") : f.key;
        const el = document.querySelector('[data-err="' + CSS.escape(param) + '"]');
        if (el) {
          el.textContent = f.message;
          const row = el.closest(".param");
          if (row) { row.classList.add("invalid"); const d = row.closest("details"); if (d) d.open = true; }
          placed = true;
        }
      }
      if (!placed) unplaced.push(f.message);
    }
    return unplaced;
  }

  async function runAll() {
    if (state.controller) state.controller.abort();
    const controller = new AbortController();
    state.controller = controller;
    const seq = ++state.seq;
    const body = { scenario: state.scenario, changes: state.changes, effect_scale: state.effect, session: SESSION };
    const bad = Object.entries(state.changes).filter(([, v]) => typeof v !== "number");
    clearFieldErrors();
    if (bad.length) {
      fieldErrors(bad.map(([k, v]) => ({ key: k, message: "`" + v + "`: " + (lang === "da" ? "skriv et tal" : "give a number") })));
      status("invalid", tr("invalid"));
      return;
    }
    try {
      status("running", tr("running") + " …");
      showError("");
      const quick = await api("/api/run", Object.assign({ quick: true }, body), controller.signal);
      if (seq !== state.seq) return;
      const full = quick.replications >= fullReps();
      render(quick, full);
      if (full) return;
      const poll = setInterval(() => {
        api("/api/progress?session=" + SESSION).then((p) => {
          if (seq === state.seq && document.body.dataset.state === "quick" && p.total > 0)
            $("status").textContent = tr("quick") + ": " + num(quick.replications, 0) + " " + tr("reps") + " — " + tr("running") + " " + num(p.done, 0) + " " + tr("of") + " " + num(p.total, 0) + " …";
        }).catch(() => {});
      }, 700);
      let done;
      try { done = await api("/api/run", body, controller.signal); } finally { clearInterval(poll); }
      if (seq !== state.seq) return;
      render(done, true);
    } catch (e) {
      if (e.name === "AbortError" || seq !== state.seq || e.status === 409) return;
      const rest = e.data ? fieldErrors(e.data.fields) : [];
      status("invalid", tr("invalid"));
      showError(rest.length ? rest.join("\n") : e.message);
    }
  }
  function fullReps() {
    const k = "simulation.replications.value";
    return k in state.changes && typeof state.changes[k] === "number" ? state.changes[k] : state.info ? state.info.replications : 0;
  }

  function render(r, final) {
    state.view = r.view;
    state.run = r;
    document.body.dataset.run = String(r.run);
    renderResult();
    const q = "&token=" + encodeURIComponent(TOKEN) + "&lang=" + lang;
    $("dl-variant").href = "/api/download/variant.toml?run=" + r.run + q;
    $("dl-report").href = "/api/download/report.html?run=" + r.run + q;
    $("dl-workbook").href = "/api/download/workbook.xlsx?run=" + r.run + q;
    status(final ? "final" : "quick", (final ? tr("final") : tr("quick")) + ": " + num(r.replications, 0) + " " + tr("reps") + " (" + num(r.seconds, 2) + " s)" + (final ? "" : " — " + tr("running") + " …"));
  }

  function renderResult() {
    const v = state.view;
    if (!v) return;
    $("title").textContent = L(v.title);
    $("basis").textContent = L(v.arm) + " " + tr("basis") + " " + L(v.control) + "; " + tr("price_year") + " " + v.price_year + "; " + num(v.replications, 0) + " " + tr("reps") + ", " + tr("seed") + " " + v.seed + (state.run && state.run.changed.length ? "; " + tr("changed") + ": " + state.run.changed.join(", ") : "");
    const head = $("headline").tHead;
    const pin = state.pinned;
    head.innerHTML = "";
    const hr = head.insertRow();
    const cols = [["perspective", "l"], ["investment", ""], ["savings", ""], ["npv", ""], ["interval", ""], ["P(NPV>0)", ""]];
    if (pin) cols.push(["pinned", ""], ["diff", ""]);
    for (const [k, c] of cols) { const th = document.createElement("th"); th.textContent = tr(k); if (c) th.className = c; hr.appendChild(th); }
    const body = $("headline").tBodies[0];
    body.innerHTML = "";
    v.perspectives.forEach((p, i) => {
      const tr_ = body.insertRow();
      tr_.dataset.perspective = p.id;
      const cell = (t, cls, attr) => { const td = tr_.insertCell(); td.textContent = t; if (cls) td.className = cls; if (attr) td.dataset[attr[0]] = attr[1]; return td; };
      cell(L(p.label), "l");
      cell(L(p.text.investment));
      cell(L(p.text.savings));
      cell(L(p.text.npv), p.npv < 0 ? "neg" : "pos", ["npv", p.id]);
      cell(L(p.text.interval));
      cell(L(p.text.p_positive));
      if (pin) {
        const q = pin.perspectives[i];
        cell(L(q.text.npv), "pin");
        const d = p.npv - q.npv;
        cell((d > 0 ? "+" : "") + mioText(d), d < 0 ? "neg" : "pos", ["diff", p.id]);
      }
    });
    drawPayers(v);
    drawStaffing(v);
    drawOccupancy(v);
  }

  // ---- Small SVG charts ----
  const COLORS = ["#4272b0", "#d9822b", "#3a9a4a", "#b03a3a", "#8a5ab0", "#7a6a4a", "#d070a0", "#707070", "#30a0b0", "#a0a030"];
  function el(name, attrs, parent) {
    const e = document.createElementNS(SVGNS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, attrs) {
    const t = el("text", Object.assign({ x, y, "font-size": 11 }, attrs || {}), parent);
    t.textContent = s;
    return t;
  }
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + 1; }
    const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
    const out = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return out;
  }
  function frame(container, w, h) {
    container.textContent = "";
    return el("svg", { viewBox: "0 0 " + w + " " + h, role: "img" }, container);
  }
  function legendRows(items, w) {
    let cx = 0, rows = 1;
    for (const [label] of items) {
      const width = 24 + label.length * 6.2;
      if (cx + width > w && cx > 0) { cx = 0; rows += 1; }
      cx += width;
    }
    return items.length ? rows : 0;
  }
  function legend(svg, items, x, y, w) {
    let cx = x, cy = y;
    for (const [label, color, dashed] of items) {
      const width = 24 + label.length * 6.2;
      if (cx + width > x + w && cx > x) { cx = x; cy += 14; }
      el("line", { x1: cx, y1: cy - 4, x2: cx + 14, y2: cy - 4, stroke: color, "stroke-width": 3, "stroke-dasharray": dashed ? "4 3" : "" }, svg);
      text(svg, cx + 18, cy, label, { class: "legend" });
      cx += width;
    }
    return cy;
  }

  function lineChart(container, series, opt) {
    const W = 760, left = 64, right = opt.right ? 56 : 12, top = 10;
    const items = series.filter((s) => !s.hideLegend).map((s, k) => [s.label, s.color || COLORS[k % COLORS.length], s.right]);
    const bottom = 42 + 14 * legendRows(items, W - left - right), H = 230 + bottom;
    const svg = frame(container, W, H);
    const n = Math.max(0, ...series.map((s) => s.values.length));
    const vals = (pred) => series.filter(pred).flatMap((s) => s.values.filter((x) => x != null && isFinite(x)));
    const yl = vals((s) => !s.right), yr = vals((s) => s.right);
    const lo = Math.min(0, ...yl), hi = Math.max(opt.minTop || 0, ...yl);
    const rhi = Math.max(1, ...yr);
    const pw = W - left - right, ph = H - top - bottom;
    const x = (i) => left + (n <= 1 ? 0 : (i / (n - 1)) * pw);
    const y = (v) => top + ph - ((v - lo) / (hi - lo || 1)) * ph;
    const yR = (v) => top + ph - (v / rhi) * ph;
    for (const t of niceTicks(lo, hi, 5)) {
      el("line", { x1: left, x2: left + pw, y1: y(t), y2: y(t), stroke: "#e4e4e4" }, svg);
      text(svg, left - 4, y(t) + 4, opt.yFormat(t), { "text-anchor": "end" });
    }
    if (opt.right) for (const t of niceTicks(0, rhi, 4)) text(svg, left + pw + 4, yR(t) + 4, num(t, t < 10 && t % 1 ? 1 : 0));
    const cm = opt.cycleMonths || 1;
    for (const t of niceTicks(0, n * cm, 8)) {
      const i = t / cm - 1;
      if (i < 0 || i > n - 1) continue;
      text(svg, x(i), top + ph + 14, num(t, 0), { "text-anchor": "middle" });
    }
    text(svg, left + pw / 2, top + ph + 28, tr("month"), { "text-anchor": "middle" });
    el("line", { x1: left, x2: left + pw, y1: y(0), y2: y(0), stroke: "#888" }, svg);
    series.forEach((s, k) => {
      let d = "";
      let pen = false;
      s.values.forEach((v, i) => {
        if (v == null || !isFinite(v)) { pen = false; return; }
        d += (pen ? "L" : "M") + x(i).toFixed(1) + " " + (s.right ? yR(v) : y(v)).toFixed(1);
        pen = true;
      });
      el("path", { d, fill: "none", stroke: s.color || COLORS[k % COLORS.length], "stroke-width": 1.8, "stroke-dasharray": s.right ? "5 3" : "" }, svg);
    });
    legend(svg, items, left, top + ph + 46, pw);
  }

  function barChart(container, categories, series, yFormat) {
    const W = 760, left = 64, right = 12, top = 10;
    const items = series.map((s, k) => [s.label, COLORS[k % COLORS.length]]);
    const bottom = 36 + 14 * legendRows(items, W - left - right), H = 250 + bottom;
    const svg = frame(container, W, H);
    const all = series.flatMap((s) => s.values);
    const lo = Math.min(0, ...all), hi = Math.max(0, ...all);
    const pw = W - left - right, ph = H - top - bottom;
    const y = (v) => top + ph - ((v - lo) / (hi - lo || 1)) * ph;
    for (const t of niceTicks(lo, hi, 5)) {
      el("line", { x1: left, x2: left + pw, y1: y(t), y2: y(t), stroke: "#e4e4e4" }, svg);
      text(svg, left - 4, y(t) + 4, yFormat(t), { "text-anchor": "end" });
    }
    const gw = pw / Math.max(1, categories.length), bw = (gw * 0.8) / Math.max(1, series.length);
    categories.forEach((c, i) => {
      series.forEach((s, k) => {
        const v = s.values[i] || 0;
        el("rect", { x: left + i * gw + gw * 0.1 + k * bw, y: Math.min(y(v), y(0)), width: Math.max(0.5, bw - 0.3), height: Math.abs(y(v) - y(0)), fill: COLORS[k % COLORS.length] }, svg);
      });
      if (categories.length <= 14 || i % Math.ceil(categories.length / 14) === 0) text(svg, left + i * gw + gw / 2, top + ph + 14, String(c), { "text-anchor": "middle" });
    });
    el("line", { x1: left, x2: left + pw, y1: y(0), y2: y(0), stroke: "#888" }, svg);
    legend(svg, items, left, top + ph + 40, pw);
  }

  function drawPayers(v) {
    const series = v.payers.filter((p) => p.values.some((x) => Math.abs(x) > 0.5)).map((p) => ({ label: L(p.label), values: p.values }));
    barChart($("chart-payers"), v.years, series, mioAxis);
  }
  function drawStaffing(v) {
    const series = [];
    v.staffing.forEach((s, k) => {
      const color = COLORS[k % COLORS.length];
      series.push({ label: L(s.label), values: s.utilisation, color });
      series.push({ label: L(s.label) + (lang === "da" ? ": kø" : ": queue"), values: s.queue, color, right: true });
    });
    if (!series.length) { $("chart-staffing").textContent = "–"; return; }
    lineChart($("chart-staffing"), series, { yFormat: pctAxis, right: true, minTop: 1, cycleMonths: v.cycle_months });
  }
  function drawOccupancy(v) {
    const box = $("chart-occupancy");
    box.textContent = "";
    for (const arm of v.occupancy) {
      const h = document.createElement("h3");
      h.textContent = L(arm.label);
      box.appendChild(h);
      const div = document.createElement("div");
      div.dataset.arm = arm.id;
      box.appendChild(div);
      lineChart(div, arm.states.filter((s) => s.values.some((x) => x > 0.05)).map((s) => ({ label: L(s.label), values: s.values })), { yFormat: (t) => num(t, 0), cycleMonths: v.cycle_months });
    }
  }

  // ---- Wiring ----
  $("lang").addEventListener("click", () => {
    lang = lang === "da" ? "en" : "da";
    setTexts();
    const keep = state.changes;
    renderParams();
    for (const [k, val] of Object.entries(keep)) {
      const inp = document.querySelector('input[data-key="' + CSS.escape(k) + '"]');
      if (inp) { inp.value = String(val); inp.closest(".param").classList.add("changed"); }
      const sl = document.querySelector('input[data-slider="' + CSS.escape(k) + '"]');
      if (sl) sl.value = String(val);
    }
    state.changes = keep;
    renderResult();
    if (state.run) render(state.run, document.body.dataset.state === "final");
  });
  $("scenario").addEventListener("change", (e) => loadScenario(e.target.value).catch((err) => showError(err.message)));
  $("effect_scale").addEventListener("input", (e) => {
    state.effect = Number(e.target.value);
    $("effect_scale_out").textContent = num(state.effect, 2);
    schedule(250);
  });
  $("pin").addEventListener("click", () => {
    if (!state.view) return;
    state.pinned = state.view;
    $("unpin").hidden = false;
    renderResult();
  });
  $("unpin").addEventListener("click", () => {
    state.pinned = null;
    $("unpin").hidden = true;
    renderResult();
  });

  setTexts();
  status("loading", tr("loading"));
  loadList()
    .then(() => loadScenario($("scenario").value))
    .catch((e) => { status("invalid", ""); showError(e.message); });
})();
