/* The workbook on this device: answers kept as they are typed, progress on the first
   page, and one answers file to send back.

   Answers live in localStorage, one entry a module, under
   "<storage>/<module id>" (storage is "cpo-offline/v1/<workbook number>"), as
   {"version": 1, "answers": {activity id: answer}, "declaration": {...}}.
   When storage is missing, full or refuses, the page keeps working from memory and
   says so; an entry that cannot be read is copied aside, never silently dropped.
   The answers file's format is defined in builder/answers.py. */
(function () {
  "use strict";

  var W = window.CPO_WORKBOOK;
  var STATE_VERSION = 1;
  var SAVE_DELAY = 400; // ms after the last key press
  var body = document.body;
  var pageModule = body.getAttribute("data-module") || "";
  var statusBox = document.getElementById("status");
  var statusClose = document.getElementById("status-close");
  var saveState = document.getElementById("save-state");

  // -- messages ---------------------------------------------------------------------

  function say(text, warning) {
    statusBox.textContent = text;
    statusBox.classList.toggle("warning", !!warning);
    statusClose.hidden = !text;
  }

  statusClose.addEventListener("click", function () {
    say("");
  });

  if (!W || !W.modules) {
    say("This workbook is missing a file, so answers cannot be kept. Ask your contact for a new copy.", true);
    return;
  }

  // -- storage that may be missing, full, or refuse us --------------------------------

  var store = openStore();
  var memory = {}; // module id -> state, for when the device cannot keep anything

  function openStore() {
    try {
      var s = window.localStorage;
      var probe = W.storage + "/probe";
      s.setItem(probe, "1");
      s.removeItem(probe);
      return s;
    } catch (e) {
      return null;
    }
  }

  function keyOf(id) {
    return W.storage + "/" + id;
  }

  function moduleById(id) {
    for (var i = 0; i < W.modules.length; i++) {
      if (W.modules[i].id === id) return W.modules[i];
    }
    return null;
  }

  /* The saved state of a module: {state, found, damaged, raw}. */
  function readModule(module) {
    if (!store) {
      return { state: memory[module.id] || emptyState(module), found: !!memory[module.id], damaged: false, raw: null };
    }
    var raw;
    try {
      raw = store.getItem(keyOf(module.id));
    } catch (e) {
      return { state: emptyState(module), found: false, damaged: false, raw: null };
    }
    if (raw === null) return { state: emptyState(module), found: false, damaged: false, raw: null };
    var parsed;
    try {
      parsed = JSON.parse(raw);
    } catch (e) {
      return { state: emptyState(module), found: true, damaged: true, raw: raw };
    }
    var cleaned = cleanState(parsed, module);
    return { state: cleaned.state, found: true, damaged: cleaned.damaged, raw: raw };
  }

  /* "ok", "memory" (no storage on this device), "full" or "failed". */
  function writeModule(module, state) {
    if (!store) {
      memory[module.id] = state;
      return "memory";
    }
    try {
      store.setItem(keyOf(module.id), JSON.stringify(state));
      return "ok";
    } catch (e) {
      var full = e && (e.name === "QuotaExceededError" || e.name === "NS_ERROR_DOM_QUOTA_REACHED" || e.code === 22);
      return full ? "full" : "failed";
    }
  }

  /* Copy an entry that could not be read to a key of its own (once), so nothing is lost. */
  function keepDamaged(module, raw) {
    if (!store || raw === null) return false;
    try {
      var prefix = keyOf(module.id) + "/damaged/";
      for (var i = 0; i < store.length; i++) {
        var key = store.key(i);
        if (key && key.indexOf(prefix) === 0 && store.getItem(key) === raw) return true;
      }
      store.setItem(prefix + new Date().toISOString(), raw);
      return true;
    } catch (e) {
      return false;
    }
  }

  // -- the shape of a module's answers ------------------------------------------------

  function emptyAnswer(a) {
    switch (a.type) {
      case "choose": return [];
      case "scale": return a.items.map(function () { return null; });
      case "list": return repeat("", a.count);
      case "plan": return a.rows.map(function (row) { return row.map(function () { return ""; }); });
      default: return "";
    }
  }

  function emptyDeclaration() {
    return { statement: false, name: "", date: "", hours: "", minutes: "" };
  }

  function emptyState(module) {
    var answers = {};
    module.activities.forEach(function (a) { answers[a.id] = emptyAnswer(a); });
    return { version: STATE_VERSION, answers: answers, declaration: emptyDeclaration() };
  }

  function repeat(value, count) {
    var out = [];
    for (var i = 0; i < count; i++) out.push(value);
    return out;
  }

  function isString(v) { return typeof v === "string"; }
  function isStrings(v, count) {
    return Array.isArray(v) && (count === undefined || v.length === count) && v.every(isString);
  }

  function validAnswer(a, v) {
    switch (a.type) {
      case "choose":
        return isStrings(v) && v.every(function (o) { return a.options.indexOf(o) >= 0; });
      case "scale":
        return Array.isArray(v) && v.length === a.items.length && v.every(function (n) {
          return n === null || (typeof n === "number" && n % 1 === 0 && n >= a.low && n <= a.high);
        });
      case "list":
        return isStrings(v, a.count);
      case "plan":
        return Array.isArray(v) && v.length === a.rows.length && v.every(function (row, r) {
          return isStrings(row, a.rows[r].length);
        });
      default:
        return isString(v);
    }
  }

  /* A stored state, keeping every part that is sound; `damaged` if any part was not. */
  function cleanState(raw, module) {
    var state = emptyState(module);
    if (!raw || typeof raw !== "object" || raw.version !== STATE_VERSION) {
      return { state: state, damaged: true };
    }
    var damaged = false;
    var answers = raw.answers && typeof raw.answers === "object" ? raw.answers : {};
    if (answers !== raw.answers) damaged = true;
    module.activities.forEach(function (a) {
      if (!(a.id in answers)) return;
      if (validAnswer(a, answers[a.id])) state.answers[a.id] = answers[a.id];
      else damaged = true;
    });
    var d = raw.declaration;
    if (d && typeof d === "object") {
      if (typeof d.statement === "boolean") state.declaration.statement = d.statement;
      ["name", "date", "hours", "minutes"].forEach(function (k) {
        if (isString(d[k])) state.declaration[k] = d[k];
        else if (k in d) damaged = true;
      });
    } else if (d !== undefined) {
      damaged = true;
    }
    return { state: state, damaged: damaged };
  }

  function tried(a, v) {
    switch (a.type) {
      case "choose": return v.length > 0;
      case "scale": return v.some(function (n) { return n !== null; });
      case "list": return v.some(function (s) { return s.trim() !== ""; });
      case "plan": return v.some(function (row) { return row.some(function (s) { return s.trim() !== ""; }); });
      default: return v.trim() !== "";
    }
  }

  function declared(d) {
    return d.statement && d.name.trim() !== "" && d.date !== "";
  }

  // -- the answers file ---------------------------------------------------------------

  function minutesSpent(d) {
    if (d.hours === "" && d.minutes === "") return null;
    var whole = /^\d{1,4}$/; // the form asks for up to 99 hours; anything odd is "not given"
    if ((d.hours !== "" && !whole.test(d.hours)) || (d.minutes !== "" && !whole.test(d.minutes))) return null;
    return (parseInt(d.hours || "0", 10) * 60) + parseInt(d.minutes || "0", 10);
  }

  function exportAnswer(a, v) {
    switch (a.type) {
      case "scale":
        return a.items.map(function (item, i) { return { item: item, value: v[i] }; });
      case "plan":
        return { columns: a.columns.slice(), labels: a.rows, answers: v };
      default:
        return v;
    }
  }

  function answersDocument(states) {
    return {
      format: W.format,
      version: W.version,
      course: { title: W.course.title, version: W.course.version },
      workbook: W.workbook,
      specimen: W.specimen,
      exported: new Date().toISOString(),
      modules: W.modules.map(function (m) {
        var state = states[m.id];
        return {
          id: m.id,
          title: m.title,
          checkin: m.checkin,
          code: m.code,
          activities: m.activities.map(function (a) {
            return { id: a.id, type: a.type, title: a.title, required: a.required, answer: exportAnswer(a, state.answers[a.id]) };
          }),
          declaration: {
            statement: state.declaration.statement,
            name: state.declaration.name,
            date: state.declaration.date,
            minutes: minutesSpent(state.declaration)
          }
        };
      })
    };
  }

  /* JSON with sorted keys, no spaces, and every character past "~" as \uXXXX: the
     same text Python's json.dumps(..., sort_keys=True, separators=(",", ":")) makes. */
  function canonical(value) {
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    if (value !== null && typeof value === "object") {
      return "{" + Object.keys(value).sort().map(function (k) {
        return ascii(JSON.stringify(k)) + ":" + canonical(value[k]);
      }).join(",") + "}";
    }
    return ascii(JSON.stringify(value));
  }

  function ascii(json) {
    return json.replace(/[\u007f-\uffff]/g, function (c) {
      return "\\u" + ("0000" + c.charCodeAt(0).toString(16)).slice(-4);
    });
  }

  function sha256(text) {
    var plain = function () { return window.CPO_SHA256.hex(text); };
    try {
      if (window.crypto && window.crypto.subtle && window.TextEncoder) {
        return window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buffer) {
          return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
            return ("0" + b.toString(16)).slice(-2);
          }).join("");
        }, plain);
      }
    } catch (e) {
      /* fall through to the plain one */
    }
    return Promise.resolve(plain());
  }

  function fileName() {
    var day = new Date();
    var pad = function (n) { return ("0" + n).slice(-2); };
    var date = day.getFullYear() + "-" + pad(day.getMonth() + 1) + "-" + pad(day.getDate());
    return "answers-" + W.workbook.replace(/[^A-Za-z0-9-]/g, "_") + "-" + date + ".json";
  }

  function download(text, name) {
    var blob = new Blob([text], { type: "application/json" });
    var url = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    body.appendChild(link);
    link.click();
    body.removeChild(link);
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  var exported = false;

  function exportAnswers() {
    if (page) page.flush();
    var states = {};
    W.modules.forEach(function (m) {
      states[m.id] = page && page.module.id === m.id ? page.state : readModule(m).state;
    });
    var doc = answersDocument(states);
    return sha256(canonical(doc)).then(function (hex) {
      doc.checksum = "sha256:" + hex;
      var name = fileName();
      download(JSON.stringify(doc, null, 2) + "\n", name);
      exported = true;
      var text = "Your answers file is ready. It is called " + name + ". Look in the Downloads folder of this device. Then send it to your contact.";
      if (!store) text += " This device cannot keep answers, so the file has only the answers typed on this page.";
      say(text, !store);
    }, function () {
      say("Sorry, the answers file could not be made. Your answers are still here. Please try again.", true);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-export]"), function (button) {
    button.addEventListener("click", exportAnswers);
  });

  // -- opening an answers file saved before (another browser, another computer) --------

  var NOT_ANSWERS = "This is not an answers file. Please pick the file whose name starts with answers.";
  var CHANGED = "This answers file has been changed or damaged, so it cannot be opened. Please pick another copy.";
  var OTHER = "This answers file is for a different workbook, so it cannot be opened here.";
  var OTHER_COPY = "This answers file is from another copy of this workbook, so it cannot be opened here. Please ask your contact.";

  function importAnswer(a, v) {
    switch (a.type) {
      case "scale":
        return Array.isArray(v) ? v.map(function (x) { return x && typeof x === "object" ? x.value : undefined; }) : v;
      case "plan":
        return v && typeof v === "object" ? v.answers : v;
      default:
        return v;
    }
  }

  function importDeclaration(d) {
    var out = emptyDeclaration();
    if (!d || typeof d !== "object") return out;
    out.statement = d.statement === true;
    if (isString(d.name)) out.name = d.name;
    if (isString(d.date)) out.date = d.date;
    if (typeof d.minutes === "number" && d.minutes >= 0 && d.minutes % 1 === 0) {
      out.hours = String(Math.floor(d.minutes / 60));
      out.minutes = String(d.minutes % 60);
    }
    return out;
  }

  /* The states a checked answers file holds, module by module; or a reason it is refused. */
  function statesFrom(doc) {
    if (!doc || typeof doc !== "object" || doc.format !== W.format || doc.version !== W.version || !Array.isArray(doc.modules)) {
      return { refused: NOT_ANSWERS };
    }
    if (doc.workbook !== W.workbook) return { refused: OTHER };
    if (!doc.course || doc.course.version !== W.course.version) return { refused: OTHER_COPY };
    var states = {};
    for (var i = 0; i < W.modules.length; i++) {
      var m = W.modules[i];
      var saved = doc.modules.filter(function (x) { return x && x.id === m.id; })[0];
      if (!saved || saved.checkin !== m.checkin || !Array.isArray(saved.activities)) return { refused: OTHER };
      var state = emptyState(m);
      m.activities.forEach(function (a) {
        var found = saved.activities.filter(function (x) { return x && x.id === a.id; })[0];
        var v = found ? importAnswer(a, found.answer) : undefined;
        if (v !== undefined && validAnswer(a, v)) state.answers[a.id] = v;
      });
      state.declaration = importDeclaration(saved.declaration);
      states[m.id] = state;
    }
    return { states: states };
  }

  function openAnswers(file) {
    var reader = new FileReader();
    reader.onerror = function () { say("Sorry, this file could not be read. Please try again.", true); };
    reader.onload = function () {
      var doc;
      try {
        doc = JSON.parse(String(reader.result));
      } catch (e) {
        say(NOT_ANSWERS, true);
        return;
      }
      if (!doc || typeof doc !== "object" || typeof doc.checksum !== "string") {
        say(NOT_ANSWERS, true);
        return;
      }
      var claimed = doc.checksum;
      delete doc.checksum;
      sha256(canonical(doc)).then(function (hex) {
        if (claimed !== "sha256:" + hex) {
          say(CHANGED, true);
          return;
        }
        var found = statesFrom(doc);
        if (found.refused) {
          say(found.refused, true);
          return;
        }
        restore(found.states, file.name);
      });
    };
    reader.readAsText(file);
  }

  function restore(states, name) {
    var kept = W.modules.some(function (m) { return readModule(m).found; });
    if (kept && !window.confirm("Your answers on this device will be replaced by the answers in the file. Go on?")) return;
    var problem = "";
    W.modules.forEach(function (m) {
      var result = writeModule(m, states[m.id]);
      if (result === "full" || result === "failed") problem = result;
    });
    if (page) {
      page.state = states[page.module.id];
      page.show();
    }
    showProgress();
    if (problem) say("Your answers could not all be kept on this device. Please try again, or ask your contact.", true);
    else say("Your answers are back. They came from the file " + name + ".");
  }

  var answersInput = document.getElementById("answers-input");
  if (answersInput) {
    answersInput.addEventListener("change", function () {
      if (answersInput.files && answersInput.files[0]) openAnswers(answersInput.files[0]);
      answersInput.value = "";
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-import]"), function (button) {
      button.addEventListener("click", function () { answersInput.click(); });
    });
  }

  // -- a module page ------------------------------------------------------------------

  var page = null;

  function ModulePage(module) {
    this.module = module;
    this.problem = "";  // "", "full" or "failed": the last save did not work
    this.unsaved = false;
    this.timer = null;
    var found = readModule(module);
    this.state = found.state;
    if (found.damaged) {
      var kept = keepDamaged(module, found.raw);
      say("Some answers saved on this device could not be read." +
        (kept ? " We kept a copy. " : " There was no room to keep a copy. ") +
        "Please check your answers, and tell your contact.", true);
    }
    this.show();
    this.listen();
  }

  ModulePage.prototype.section = function (a) {
    return document.querySelector('[data-activity="' + a.id + '"]');
  };

  ModulePage.prototype.show = function () {
    var self = this;
    this.module.activities.forEach(function (a) {
      var section = self.section(a);
      if (section) writeControls(section, a, self.state.answers[a.id]);
    });
    var d = this.state.declaration;
    field("statement").checked = d.statement === true;
    ["name", "date", "hours", "minutes"].forEach(function (k) { field(k).value = d[k]; });
    // A value the control would not take (a bad date, say) stays in the state, and is
    // exported as it was, so nothing typed is lost.
    updateMirrors();
  };

  ModulePage.prototype.read = function (target) {
    var section = target.closest("[data-activity]");
    if (section) {
      var id = section.getAttribute("data-activity");
      var a = this.module.activities.filter(function (x) { return x.id === id; })[0];
      if (a) this.state.answers[id] = readControls(section, a);
    } else if (target.closest("[data-declaration]")) {
      var d = this.state.declaration;
      d.statement = field("statement").checked;
      d.name = field("name").value;
      d.date = field("date").value;
      d.hours = field("hours").value;
      d.minutes = field("minutes").value;
      checkTime();
    }
  };

  ModulePage.prototype.changed = function (target, now) {
    this.read(target);
    this.unsaved = true;
    exported = false;
    var self = this;
    clearTimeout(this.timer);
    if (now) this.flush();
    else this.timer = setTimeout(function () { self.flush(); }, SAVE_DELAY);
  };

  ModulePage.prototype.flush = function () {
    clearTimeout(this.timer);
    if (!this.unsaved) return;
    var result = writeModule(this.module, this.state);
    if (result === "ok" || result === "memory") {
      this.unsaved = result === "memory";
      if (this.problem) say("Your answers are being kept on this device again.");
      this.problem = "";
      return;
    }
    if (this.problem !== result) {
      say(result === "full"
        ? "This device is full, so your last changes could not be kept. They are still on this page. Press Save my answers file now, so nothing is lost."
        : "Your last changes could not be kept on this device. They are still on this page. Press Save my answers file now, so nothing is lost.", true);
    }
    this.problem = result;
  };

  ModulePage.prototype.listen = function () {
    var self = this;
    var main = document.getElementById("main");
    main.addEventListener("input", function (e) { self.changed(e.target, false); updateMirror(e.target); });
    main.addEventListener("change", function (e) { self.changed(e.target, true); updateMirror(e.target); });
    main.addEventListener("click", function (e) {
      var clear = e.target.closest("[data-clear]");
      if (!clear) return;
      var group = clear.closest("fieldset");
      Array.prototype.forEach.call(group.querySelectorAll("input"), function (input) { input.checked = false; });
      self.changed(group, true);
    });
    window.addEventListener("pagehide", function () { self.flush(); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") self.flush();
    });
    window.addEventListener("beforeunload", function (e) {
      self.flush();
      // Answers that only this page holds would be lost: ask the browser to check first.
      if ((self.unsaved || self.problem) && !exported) {
        e.preventDefault();
        e.returnValue = "";
      }
    });
    window.addEventListener("storage", function (e) {
      if (e.key === keyOf(self.module.id)) {
        say("This module is open in another tab or window too. Close one of them, so your answers do not get mixed up.", true);
      }
    });
    var print = document.querySelector("[data-print]");
    if (print) print.addEventListener("click", function () { updateMirrors(); window.print(); });
    window.addEventListener("beforeprint", updateMirrors);
  };

  function field(name) {
    return document.querySelector('[data-declaration] [data-field="' + name + '"]');
  }

  function checkTime() {
    var error = document.getElementById("d-time-error");
    var bad = ["hours", "minutes"].filter(function (k) {
      var input = field(k);
      return input.validity && input.validity.badInput;
    });
    error.hidden = bad.length === 0;
    error.textContent = bad.length ? "Please type the time as numbers, like 2 hours and 30 minutes." : "";
  }

  function inputs(section, selector) {
    return Array.prototype.slice.call(section.querySelectorAll(selector));
  }

  function readControls(section, a) {
    switch (a.type) {
      case "choose":
        return inputs(section, "input").filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
      case "scale":
        return a.items.map(function (item, n) {
          var on = section.querySelector('[data-item="' + n + '"] input:checked');
          return on ? parseInt(on.value, 10) : null;
        });
      case "list":
        return inputs(section, "input").map(function (i) { return i.value; });
      case "plan":
        var rows = emptyAnswer(a);
        inputs(section, "input[data-row]").forEach(function (i) {
          rows[+i.getAttribute("data-row")][+i.getAttribute("data-col")] = i.value;
        });
        return rows;
      default:
        return section.querySelector("textarea").value;
    }
  }

  function writeControls(section, a, v) {
    switch (a.type) {
      case "choose":
        inputs(section, "input").forEach(function (i) { i.checked = v.indexOf(i.value) >= 0; });
        break;
      case "scale":
        a.items.forEach(function (item, n) {
          inputs(section, '[data-item="' + n + '"] input').forEach(function (i) {
            i.checked = v[n] !== null && parseInt(i.value, 10) === v[n];
          });
        });
        break;
      case "list":
        inputs(section, "input").forEach(function (i, n) { i.value = v[n] || ""; });
        break;
      case "plan":
        inputs(section, "input[data-row]").forEach(function (i) {
          i.value = v[+i.getAttribute("data-row")][+i.getAttribute("data-col")];
        });
        break;
      default:
        section.querySelector("textarea").value = v;
    }
  }

  /* Printed textareas would cut long answers off: print a copy of their text instead. */
  function updateMirror(target) {
    if (target && target.tagName === "TEXTAREA") {
      var mirror = document.querySelector('[data-mirror="' + target.id + '"]');
      if (mirror) mirror.textContent = target.value;
    }
  }

  function updateMirrors() {
    Array.prototype.forEach.call(document.querySelectorAll("textarea"), updateMirror);
  }

  // -- the first page: how far the client has got --------------------------------------

  function showProgress() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-progress]"), function (el) {
      var module = moduleById(el.getAttribute("data-progress"));
      if (!module) return;
      var found = readModule(module);
      var done = module.activities.filter(function (a) { return tried(a, found.state.answers[a.id]); }).length;
      var total = module.activities.length;
      var text;
      if (found.damaged) text = "Some answers could not be read. Open the module to check.";
      else if (done === total && declared(found.state.declaration)) text = "Finished";
      else if (done === total) text = "Activities done. Fill in the form at the end.";
      else if (done > 0 || found.state.declaration.name !== "") text = "Started: " + done + " of " + total + " activities done";
      else text = "Not started";
      el.textContent = text;
    });
  }

  // -- start ----------------------------------------------------------------------------

  if (store) {
    saveState.textContent = "Your answers are kept on this computer, in this browser, as you type. Use the same computer and browser each time.";
  } else {
    saveState.textContent = "This device cannot keep your answers. They stay only while this page is open. Press Save my answers file before you close it.";
    saveState.classList.add("warning");
    say("This device cannot keep your answers. Press Save my answers file before you close this page.", true);
  }
  saveState.hidden = false;

  var current = moduleById(pageModule);
  if (current) page = new ModulePage(current);
  if (body.getAttribute("data-page") === "index") {
    showProgress();
    window.addEventListener("storage", showProgress);
    window.addEventListener("pageshow", showProgress);
  }
})();
