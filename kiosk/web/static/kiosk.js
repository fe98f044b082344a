// Door desk: small enhancements. Every page works without this script; it
// adds the idle lock, the status bar refresh, scanner focus, the PIN pad
// and printing the badge PDF.
(function () {
  "use strict";
  var body = document.body;

  // A barcode scanner types into whatever has focus. After a tap on a
  // button nothing does, so keys typed outside a field go to the scan
  // target (the search field, or the badge field on the verify page).
  var target = document.querySelector("[data-scan-target]");
  if (target) {
    target.select();
    document.addEventListener("keydown", function (ev) {
      var a = document.activeElement;
      var tag = a ? a.tagName : "";
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
      if (ev.key && ev.key.length === 1) { target.value = ""; target.focus(); }
    });
  }

  // A scanner types a whole code in a few milliseconds a key; people do
  // not. A search sent right after such a burst is marked scanned, so the
  // kiosk refuses a code that is not a badge rather than search for it as
  // a name.
  var burst = [];
  document.addEventListener("keydown", function (ev) {
    if (!ev.key || ev.key.length !== 1) { return; }
    var now = Date.now();
    if (burst.length && now - burst[burst.length - 1] > 100) { burst = []; }
    burst.push(now);
  }, true);
  document.querySelectorAll("form[role=search]").forEach(function (f) {
    f.addEventListener("submit", function () {
      var mark = f.querySelector("[data-scanned]");
      var n = burst.length;
      var fast = n >= 4 && Date.now() - burst[n - 1] < 300 && (burst[n - 1] - burst[0]) / (n - 1) < 40;
      if (mark) { mark.value = fast ? "1" : ""; }
      burst = [];
    });
  });

  // Idle lock: after the configured time with no touch or key, lock. The
  // server locks idle sessions too; this also clears the screen.
  var lockForm = document.getElementById("lock-form");
  var idle = parseInt(body.getAttribute("data-idle"), 10) || 0;
  if (lockForm && idle > 0) {
    var last = Date.now();
    ["keydown", "pointerdown", "touchstart", "input"].forEach(function (t) {
      document.addEventListener(t, function () { last = Date.now(); }, { passive: true });
    });
    setInterval(function () {
      if (Date.now() - last >= idle * 1000) {
        lockForm.querySelector("input[name=idle]").value = "1";
        lockForm.submit();
      }
    }, 1000);
  }

  // Status bar: refresh online/offline, uploads waiting and allocation
  // left; switch actions off when the kiosk cannot record. A page drawn
  // while it could not record has no action buttons: once the refresh
  // (which makes the kiosk retry a write) says it can again, show the page
  // again by GET, so the actions come back without a restart.
  var bar = document.getElementById("statusbar");
  var every = parseInt(body.getAttribute("data-refresh"), 10) || 5;
  var drawnOff = !!(bar && bar.querySelector("[data-cannot-record]"));
  var applyRecordState = function () {
    var off = !!bar.querySelector("[data-cannot-record]");
    if (drawnOff && !off) {
      window.location.href = bar.getAttribute("data-here") || "/";
      return;
    }
    document.querySelectorAll("form[data-action] button[type=submit]").forEach(function (b) { b.disabled = off; });
  };
  if (bar) {
    var refresh = function () {
      fetch(bar.getAttribute("data-url"), { credentials: "same-origin", cache: "no-store" })
        .then(function (r) {
          if (r.status === 401) { window.location.href = "/unlock"; return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          if (html !== null && html !== undefined) { bar.innerHTML = html; applyRecordState(); }
        })
        .catch(function () {})
        .then(function () { setTimeout(refresh, every * 1000); });
    };
    setTimeout(refresh, every * 1000);
  }

  // No double taps: a form sends once.
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    if (f.getAttribute("data-sent")) { ev.preventDefault(); return; }
    f.setAttribute("data-sent", "1");
  });

  // PIN pad.
  var pad = document.querySelector("[data-keypad]");
  if (pad) {
    var pin = document.getElementById(pad.getAttribute("data-keypad"));
    pad.addEventListener("click", function (ev) {
      var k = ev.target.getAttribute && ev.target.getAttribute("data-key");
      if (!k) { return; }
      if (k === "back") { pin.value = pin.value.slice(0, -1); } else if (pin.value.length < 12) { pin.value += k; }
      pin.focus();
    });
  }

  // Print the badge PDF shown in the page.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("[data-print-frame]");
    if (!b) { return; }
    var f = document.getElementById(b.getAttribute("data-print-frame"));
    try { f.contentWindow.focus(); f.contentWindow.print(); } catch (e) { window.open(f.src, "_blank"); }
  });

  // Reprint: typing another reason picks "Other".
  var other = document.getElementById("reason-other");
  if (other) {
    other.addEventListener("input", function () {
      var r = document.querySelector("input[name=reason][value=other]");
      if (r) { r.checked = true; }
    });
  }
})();
