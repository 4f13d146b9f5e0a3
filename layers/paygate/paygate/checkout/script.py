"""The checkout page's one script, inline and allowed by its hash in the Content-Security-Policy (the page
runs nothing else). It only adds to a page that works without it:

- it asks the link's status endpoint (`data-status-url` on <main>) every few seconds and, when the status
  changes, puts the page that the link now shows in place of this one, without a reload;
- it counts down to the payment's expiry (`data-expires`, unix seconds);
- it shows the copy buttons (hidden without it), which copy the text of the element they name;
- on the last page, it goes back to the shop after a countdown the customer sees and can stop.

Every text it writes comes from the page itself (the server's catalog), never from the status answer."""

from __future__ import annotations

from paygate.checkout.style import digest

POLL_MILLISECONDS = 2000

SCRIPT = """
(function () {
  "use strict";
  var timers = [];
  function later(fn, ms) { timers.push(setInterval(fn, ms)); }
  function stopAll() { timers.forEach(clearInterval); timers = []; }
  function two(n) { return (n < 10 ? "0" : "") + n; }

  function swap() {
    return fetch(location.href, { cache: "no-store", credentials: "omit" }).then(function (answer) {
      if (!answer.ok || answer.redirected) { location.reload(); return; }
      return answer.text().then(function (text) {
        var page = new DOMParser().parseFromString(text, "text/html");
        var fresh = page.querySelector("main");
        if (!fresh) { location.reload(); return; }
        document.querySelector("main").replaceWith(document.adoptNode(fresh));
        document.title = page.title;
        start();
      });
    });
  }

  function poll(main) {
    var url = main.getAttribute("data-status-url");
    var known = main.getAttribute("data-status");
    if (!url || main.getAttribute("data-final") === "1") { return; }
    var busy = false;
    function ask() {
      if (busy) { return; }
      busy = true;
      fetch(url, { cache: "no-store", credentials: "omit", headers: { Accept: "application/json" } })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (now) {
          if (now && now.status !== known) { stopAll(); return swap().catch(function () { location.reload(); }); }
        })
        .catch(function () {})
        .then(function () { busy = false; });
    }
    later(ask, POLL);
    return ask;
  }

  function expiry(ask) {
    var box = document.getElementById("time-left");
    if (!box) { return; }
    var end = Number(box.getAttribute("data-expires")) * 1000;
    function tick() {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      box.textContent = Math.floor(left / 60) + ":" + two(left % 60);
      if (left === 0 && ask) { ask(); }
    }
    tick();
    later(tick, 1000);
  }

  function copies() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (!source || !navigator.clipboard) { return; }
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          button.textContent = button.getAttribute("data-copied");
          setTimeout(function () { button.textContent = label; }, 2000);
        });
      });
    });
  }

  function goBack() {
    var link = document.getElementById("continue");
    var note = document.getElementById("redirect");
    var stay = document.getElementById("stay");
    if (!link || !note || !stay) { return; }
    var left = Number(note.getAttribute("data-seconds"));
    var words = note.getAttribute("data-template");
    function show() { note.textContent = words.replace("{seconds}", String(left)); }
    show();
    note.hidden = false;
    stay.hidden = false;
    later(function () {
      left -= 1;
      if (left <= 0) { stopAll(); location.assign(link.href); return; }
      show();
    }, 1000);
    stay.addEventListener("click", function () { stopAll(); note.hidden = true; stay.hidden = true; });
  }

  function start() {
    var main = document.querySelector("main");
    if (!main) { return; }
    document.querySelectorAll(".with-script").forEach(function (part) { part.hidden = false; });
    var ask = poll(main);
    expiry(ask);
    copies();
    goBack();
  }

  start();
})();
""".replace("POLL", str(POLL_MILLISECONDS))

SCRIPT_HASH = digest(SCRIPT)
