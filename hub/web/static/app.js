// Conference hub: small progressive enhancements. Every page works without
// this script; it only adds live updates, a countdown and a progress bar.
(function () {
  "use strict";

  // Order page: count down to expiry and reload when the order moves on.
  var order = document.querySelector("[data-poll]");
  if (order) {
    var status = order.getAttribute("data-status");
    var url = order.getAttribute("data-poll");
    var closed = ["confirmed", "expired", "rejected", "cancelled"];
    var poll = function () {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (s && s.status !== status) { window.location.reload(); return; }
          if (closed.indexOf(status) < 0) { setTimeout(poll, status === "reserved" ? 3000 : 1000); }
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    if (closed.indexOf(status) < 0) { setTimeout(poll, 1000); }

    var cd = order.querySelector("[data-expires]");
    if (cd) {
      var out = cd.querySelector("[data-countdown]");
      var end = Date.parse(cd.getAttribute("data-expires"));
      var tick = function () {
        var left = Math.max(0, Math.round((end - Date.now()) / 1000));
        var m = Math.floor(left / 60), s = left % 60;
        out.textContent = m + ":" + (s < 10 ? "0" : "") + s;
        cd.classList.toggle("urgent", left < 120);
        if (left > 0) { setTimeout(tick, 1000); } else { out.textContent = "0:00"; setTimeout(poll, 1500); }
      };
      tick();
    }
  }

  // Live seat counts on the organizer's conference page (server-sent events).
  var live = document.querySelector("[data-live]");
  if (live && window.EventSource) {
    var state = live.querySelector("[data-live-state]");
    var es = new EventSource(live.getAttribute("data-live"));
    es.addEventListener("counts", function (ev) {
      live.classList.remove("offline");
      if (state) { state.textContent = "updates live"; }
      JSON.parse(ev.data).forEach(function (st) {
        var row = live.querySelector('[data-seat-type="' + st.id + '"]');
        if (!row) { return; }
        ["quota", "sold", "reserved", "allocated", "free"].forEach(function (k) {
          var cell = row.querySelector('[data-k="' + k + '"]');
          if (cell && cell.textContent !== String(st[k])) {
            cell.textContent = st[k];
            cell.classList.add("changed");
            setTimeout(function () { cell.classList.remove("changed"); }, 1500);
          }
        });
      });
    });
    es.onerror = function () {
      live.classList.add("offline");
      if (state) { state.textContent = "reconnecting…"; }
    };
  }

  // Check-in at a glance (server-sent events): totals, each seat type's
  // row and the latest arrivals follow the check-ins as they reach the hub.
  var att = document.querySelector("[data-attendance]");
  if (att && window.EventSource) {
    var attState = att.querySelector("[data-live-state]");
    var set = function (cell, value) {
      if (!cell) { return; }
      var text = String(value);
      if (cell.tagName === "PROGRESS") {
        if (cell.value !== value) { cell.value = value; cell.textContent = text + "%"; }
        return;
      }
      if (cell.textContent !== text) {
        cell.textContent = text;
        cell.classList.add("changed");
        setTimeout(function () { cell.classList.remove("changed"); }, 1500);
      }
    };
    var attES = new EventSource(att.getAttribute("data-attendance"));
    attES.addEventListener("attendance", function (ev) {
      var d = JSON.parse(ev.data);
      att.classList.remove("offline");
      if (attState) { attState.textContent = "updates live"; }
      var total = att.querySelector(".attendance-total");
      ["checked_in", "sold", "percent"].forEach(function (k) { set(total.querySelector('[data-k="' + k + '"]'), d[k]); });
      d.lines.forEach(function (l) {
        var row = att.querySelector('[data-seat-type="' + l.id + '"]');
        if (!row) { return; }
        ["checked_in", "sold", "percent"].forEach(function (k) { set(row.querySelector('[data-k="' + k + '"]'), l[k]); });
      });
      var list = att.querySelector("[data-recent]");
      if (list) {
        list.textContent = "";
        if (!d.recent.length) {
          var none = document.createElement("li");
          none.className = "empty";
          none.textContent = "Nobody checked in yet.";
          list.appendChild(none);
        }
        d.recent.forEach(function (r) {
          var li = document.createElement("li"), who = document.createElement("strong");
          who.textContent = r.name;
          li.appendChild(who);
          li.appendChild(document.createTextNode(" · " + r.seat_type + " · " + r.kiosk + " · " + r.at));
          list.appendChild(li);
        });
      }
    });
    attES.onerror = function () {
      att.classList.add("offline");
      if (attState) { attState.textContent = "reconnecting…"; }
    };
  }

  // Badges: render in the background and show progress.
  var bf = document.querySelector("[data-badges]");
  if (bf) {
    bf.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var btn = bf.querySelector("button[type=submit]");
      var box = bf.querySelector("[data-progress]"), bar = box.querySelector("progress"), txt = box.querySelector("[data-progress-text]");
      var err = bf.querySelector("[data-progress-error]"), done = bf.querySelector("[data-progress-done]");
      btn.disabled = true; box.hidden = false; err.hidden = true; done.hidden = true; txt.textContent = "starting…";
      fetch(bf.action, { method: "POST", body: new FormData(bf), headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) {
          if (r.ok) { return r.json(); }
          // A refusal says why (e.g. an unknown layout); anything else does not.
          return r.json().catch(function () { return {}; }).then(function (j) {
            throw new Error(j.error || "The badges could not be started.");
          });
        })
        .then(function (j) {
          var check = function () {
            fetch(j.state, { headers: { Accept: "application/json" }, credentials: "same-origin" })
              .then(function (r) { return r.json(); })
              .then(function (s) {
                bar.max = Math.max(1, s.total); bar.value = s.done;
                txt.textContent = s.done + " of " + s.total + " badges";
                if (s.error) { throw new Error(s.error); }
                if (s.finished) {
                  box.hidden = true; btn.disabled = false;
                  var a = done.querySelector("a"); a.href = s.pdf; done.hidden = false; a.focus();
                  return;
                }
                setTimeout(check, 400);
              })
              .catch(fail);
          };
          check();
        })
        .catch(fail);
      function fail(e) { box.hidden = true; btn.disabled = false; err.textContent = e.message; err.hidden = false; }
    });
  }

  // Confirm destructive buttons.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("[data-confirm]");
    if (b && !window.confirm(b.getAttribute("data-confirm"))) { ev.preventDefault(); }
  });
})();
