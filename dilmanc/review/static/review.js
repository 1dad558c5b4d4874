// dilmanc review page: editing, approving and navigating segments with the keyboard,
// inserting memory matches, and checking the target's tag chips while it is edited.
(function () {
  "use strict";
  var table = document.getElementById("segments");
  if (!table) return;
  var job = table.dataset.job;
  var canReview = table.dataset.canReview === "yes";
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var statusLine = document.getElementById("status");

  function say(text) { statusLine.textContent = text; }

  // The editor's content in dilmanc's compact form: text, and each chip's tag.
  function compact(node) {
    var out = "";
    node.childNodes.forEach(function (child) {
      if (child.nodeType === Node.TEXT_NODE) out += child.nodeValue;
      else if (child.dataset && child.dataset.tag) out += child.dataset.tag;
      else if (child.nodeName === "BR") out += "\n";
      else out += compact(child);
    });
    return out;
  }

  function visible() { return rows.filter(function (r) { return !r.hidden; }); }

  function focusRow(row) {
    if (!row) { say("No more segments in this view."); return; }
    rows.forEach(function (r) { r.classList.remove("current"); });
    row.classList.add("current");
    var editor = row.querySelector(".target");
    editor.focus();
    var range = document.createRange();
    range.selectNodeContents(editor);
    range.collapse(false);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    row.scrollIntoView({block: "nearest"});
  }

  function nextVisible(row) {
    var shown = visible();
    return shown[shown.indexOf(row) + 1];
  }

  function nextFlagged(row) {
    var shown = visible();
    var start = row ? shown.indexOf(row) + 1 : 0;
    for (var k = 0; k < shown.length; k++) {
      var r = shown[(start + k) % shown.length];
      if (r.dataset.flagged === "yes") return r;
    }
    return null;
  }

  function save(row, approve) {
    if (!canReview) { say("This key may not review."); return Promise.resolve(false); }
    var index = row.dataset.index;
    var target = compact(row.querySelector(".target"));
    return fetch("/review/jobs/" + job + "/segments/" + index, {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      credentials: "same-origin",
      body: JSON.stringify({target: target, approve: approve})
    }).then(function (answer) {
      return answer.json().then(function (body) {
        if (!answer.ok) { say("Segment " + (+index + 1) + " not saved: " + (body.detail || body.error || answer.status)); return false; }
        row.dataset.status = body.status;
        if (body.status === "approved") row.dataset.flagged = "no";
        row.querySelector(".status-text").textContent = body.status;
        say("Segment " + (+index + 1) + (approve ? " approved." : " saved."));
        return true;
      });
    }).catch(function (err) { say("Not saved: " + err); return false; });
  }

  // Put `from`'s content (text and tag chips; glossary marks become plain text) in the target.
  function fill(row, from) {
    var copy = from.cloneNode(true);
    copy.querySelectorAll("mark").forEach(function (m) { m.replaceWith(m.textContent); });
    row.querySelector(".target").innerHTML = copy.innerHTML;
    checkTags(row);
    focusRow(row);
  }

  function copySource(row) { fill(row, row.querySelector(".source")); }

  function insertMatch(row, n) {
    var match = row.querySelectorAll(".match-target")[n - 1];
    if (!match) { say("Segment " + (+row.dataset.index + 1) + " has no memory match " + n + "."); return; }
    fill(row, match);
    say("Memory match " + n + " inserted into segment " + (+row.dataset.index + 1) + ".");
  }

  function tagsOf(node) {
    return Array.prototype.map.call(node.querySelectorAll(".chip"), function (c) { return c.dataset.tag; });
  }

  // The target's chips against the source's: each tag once, pairs well nested, same order.
  function tagProblems(want, have) {
    var problems = [], counts = {};
    want.forEach(function (t) { counts[t] = (counts[t] || 0) + 1; });
    have.forEach(function (t) { counts[t] = (counts[t] || 0) - 1; });
    Object.keys(counts).forEach(function (t) {
      if (counts[t] > 0) problems.push("missing " + t);
      else if (counts[t] < 0 && want.indexOf(t) < 0) problems.push("extra " + t);
      else if (counts[t] < 0) problems.push(t + " more than once");
    });
    var stack = [];
    have.forEach(function (t) {
      var m = /^<(\/?)g(\d+)>$/.exec(t);
      if (!m) return;
      if (!m[1]) stack.push(m[2]);
      else if (stack[stack.length - 1] === m[2]) stack.pop();
      else problems.push(t + " closes out of order");
    });
    if (!problems.length && stack.length) problems.push("unclosed <g" + stack.join(">, <g") + ">");
    return problems;
  }

  function checkTags(row) {
    var want = tagsOf(row.querySelector(".source")), have = tagsOf(row.querySelector(".target"));
    var line = row.querySelector(".tagcheck");
    if (!want.length && !have.length) { line.textContent = ""; return; }
    var problems = tagProblems(want, have);
    var reordered = !problems.length && want.join("") !== have.join("");
    line.dataset.state = problems.length ? "problem" : "ok";
    line.textContent = problems.length ? "✖ Tags: " + problems.join("; ") + " (not saved until fixed)"
      : "✔ Tags: " + want.length + " of " + want.length + " in place" + (reordered ? ", in another order than the source" : "");
  }

  function applyFilter() {
    var want = document.getElementById("filter").value;
    rows.forEach(function (r) {
      var v = r.dataset.verdict, s = r.dataset.status;
      var show = want === "all" || (want === "flagged" && r.dataset.flagged === "yes") ||
        (want === "approved" && s === "approved") || (want !== "flagged" && want !== "approved" && v === want);
      r.hidden = !show;
    });
    say(visible().length + " segments shown.");
  }

  function applySort() {
    var how = document.getElementById("sort").value;
    var ordered = rows.slice();
    if (how === "score") {
      ordered.sort(function (a, b) {
        var x = a.dataset.score === "" ? Infinity : +a.dataset.score;
        var y = b.dataset.score === "" ? Infinity : +b.dataset.score;
        return x - y || a.dataset.index - b.dataset.index;
      });
    }
    var frag = document.createDocumentFragment();
    ordered.forEach(function (r) { frag.appendChild(r); });
    tbody.appendChild(frag);
    rows = ordered;
  }

  function rowOf(el) { return el && el.closest ? el.closest("tr[data-index]") : null; }

  tbody.addEventListener("click", function (event) {
    var row = rowOf(event.target);
    if (!row) return;
    if (event.target.closest(".approve")) {
      save(row, true).then(function (ok) { if (ok) focusRow(nextVisible(row)); });
    } else if (event.target.closest(".copy")) {
      copySource(row);
    } else if (event.target.closest(".insert")) {
      insertMatch(row, +event.target.closest(".insert").dataset.match);
    }
  });

  tbody.addEventListener("focusin", function (event) {
    var row = rowOf(event.target);
    if (row) { rows.forEach(function (r) { r.classList.remove("current"); }); row.classList.add("current"); }
  });

  // Alt+1..9: the digit (by key position, so layouts where Alt+digit types a symbol work).
  function matchKey(event) {
    var m = /^Digit([1-9])$/.exec(event.code || "") || /^([1-9])$/.exec(event.key || "");
    return m ? +m[1] : 0;
  }

  document.addEventListener("keydown", function (event) {
    var row = rowOf(document.activeElement) || tbody.querySelector("tr.current");
    if (event.ctrlKey && event.key === "Enter" && row) {
      event.preventDefault();
      save(row, true).then(function (ok) { if (ok) focusRow(nextVisible(row)); });
    } else if (event.ctrlKey && (event.key === "s" || event.key === "S") && row) {
      event.preventDefault();
      save(row, false);
    } else if (event.altKey && (event.key === "c" || event.key === "C") && row) {
      event.preventDefault();
      copySource(row);
    } else if (event.altKey && matchKey(event) && row && canReview) {
      event.preventDefault();
      insertMatch(row, matchKey(event));
    } else if (event.altKey && (event.key === "n" || event.key === "N")) {
      event.preventDefault();
      focusRow(nextFlagged(row));
    }
  });

  tbody.addEventListener("input", function (event) {
    var row = rowOf(event.target);
    if (row && event.target.closest(".target")) checkTags(row);
  });

  // Pasted text stays plain text (no foreign markup inside the target).
  tbody.addEventListener("paste", function (event) {
    if (!event.target.closest || !event.target.closest(".target")) return;
    event.preventDefault();
    var text = (event.clipboardData || window.clipboardData).getData("text/plain");
    document.execCommand("insertText", false, text);
  });

  rows.forEach(checkTags);
  document.getElementById("filter").addEventListener("change", applyFilter);
  document.getElementById("sort").addEventListener("change", applySort);
  document.getElementById("next-flagged").addEventListener("click", function () {
    focusRow(nextFlagged(tbody.querySelector("tr.current")));
  });
})();
