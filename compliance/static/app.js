// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
  // Expose the CSRF token for fetch() calls made by page scripts.
  var meta = document.querySelector('meta[name="csrf-token"]');
  window.complianceCsrf = meta ? meta.getAttribute("content") : "";

  // ------------------------------------------------------------------ the installable app
  // The service worker keeps the app shell and the pages usable offline (see compliance/pwa.py).
  var swMeta = document.querySelector('meta[name="service-worker"]');
  var swUrl = swMeta && swMeta.getAttribute("content");
  var user = swMeta && swMeta.getAttribute("data-user");
  var canWork = swUrl && "serviceWorker" in navigator && window.isSecureContext;

  // Ask the active service worker something; resolves with its answer (null after `timeout`).
  function askWorker(message, timeout) {
    if (!canWork) { return Promise.resolve(null); }
    return navigator.serviceWorker.getRegistration().then(function (reg) {
      var worker = reg && (reg.active || reg.waiting || reg.installing);
      if (!worker) { return null; }
      return new Promise(function (resolve) {
        var channel = new MessageChannel();
        var timer = setTimeout(function () { resolve(null); }, timeout || 3000);
        channel.port1.onmessage = function (e) { clearTimeout(timer); resolve(e.data); };
        worker.postMessage(message, [channel.port2]);
      });
    }).catch(function () { return null; });
  }
  window.complianceWorker = { ask: askWorker, available: !!canWork };

  if (canWork) {
    navigator.serviceWorker.register(swUrl, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      if (!user || !navigator.onLine) { return; }
      // Anything recorded on this phone goes out now that a page is open.
      askWorker({ type: "sync" }, 60000);
      // Fetch ahead what this user needs offline: at most every 30 minutes, and again each day.
      var day = new Date().toISOString().slice(0, 10);
      var stamp = user + "|" + day;
      var last = {};
      try { last = JSON.parse(localStorage.getItem("compliance-precache") || "{}"); } catch (e) { last = {}; }
      if (last.stamp !== stamp || Date.now() - (last.at || 0) > 30 * 60 * 1000) {
        askWorker({ type: "precache" }, 60000).then(function (answer) {
          if (answer && !answer.error) {
            localStorage.setItem("compliance-precache", JSON.stringify({ stamp: stamp, at: Date.now() }));
          }
        });
      }
    }).catch(function () { /* no offline support on this browser: pages still work */ });
  }

  // Signing out drops what is kept on this phone; unsent records are named first.
  var signingOut = false;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-signout") || signingOut || !canWork) { return; }
    event.preventDefault();
    askWorker({ type: "pending" }, 3000).then(function (answer) {
      var n = answer && answer.pending ? answer.pending : 0;
      if (n > 0) {
        var text = (form.getAttribute("data-unsent") || "").replace("{n}", n);
        if (!window.confirm(text)) { return null; }
      }
      return askWorker({ type: "clear" }, 5000).then(function () {
        try { localStorage.removeItem("compliance-precache"); } catch (e) { /* private mode */ }
        signingOut = true;
        form.submit();
      });
    });
  });

  // The offline page lists the pages kept on this phone.
  function listKeptPages() {
    var list = document.querySelector("[data-kept-pages]");
    if (!list || !window.caches) { return; }
    caches.open("pages").then(function (cache) {
      return cache.match("/pwa/__pages__");
    }).then(function (r) { return r ? r.json() : []; }).then(function (pages) {
      if (!pages.length) { return; }
      list.textContent = "";
      pages.forEach(function (page) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = page.url;
        a.textContent = page.title;
        li.appendChild(a);
        list.appendChild(li);
      });
    }).catch(function () {});
    var again = document.querySelector("[data-reload]");
    if (again) {
      again.addEventListener("click", function (e) { e.preventDefault(); location.reload(); });
    }
  }

  function ready() {
    // On a desktop the menu is one row: bring the current page's item into view.
    var nav = document.querySelector(".mainnav");
    var active = nav && nav.querySelector("a.active");
    if (nav && active && nav.scrollWidth > nav.clientWidth) {
      nav.scrollLeft = active.offsetLeft - (nav.clientWidth - active.offsetWidth) / 2;
    }
    // The phone's "More" sheet closes on a tap outside it or on Escape.
    var more = document.querySelector(".navmore");
    if (more) {
      document.addEventListener("click", function (e) {
        if (more.open && !more.contains(e.target)) { more.open = false; }
      });
      document.addEventListener("keydown", function (e) {
        if (e.key === "Escape" && more.open) { more.open = false; more.querySelector("summary").focus(); }
      });
    }
    // Stacked tables (one card per row on a phone) skip cells that have nothing to show.
    var cells = document.querySelectorAll("table.list.stacked td");
    for (var i = 0; i < cells.length; i++) {
      var td = cells[i];
      if (!td.textContent.trim() && !td.querySelector("img,input,select,button,svg")) { td.classList.add("is-empty"); }
    }
    if (document.body.hasAttribute("data-offline-page")) { listKeptPages(); }
    markScrollingTables();
    var resizing = null;
    window.addEventListener("resize", function () {
      clearTimeout(resizing);
      resizing = setTimeout(markScrollingTables, 200);
    });
  }

  // A table wider than the screen scrolls inside its .table-wrap: such a wrapper becomes a named
  // region in the Tab order, so it can be scrolled from a keyboard (and a screen reader names it).
  function markScrollingTables() {
    var wraps = document.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var wrap = wraps[i];
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !wrap.hasAttribute("tabindex")) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("data-scroller", "");
        if (!wrap.hasAttribute("aria-label") && !wrap.hasAttribute("aria-labelledby")) {
          // Named after the table's caption, else its section's heading, else the page's.
          var box = wrap.parentElement && wrap.parentElement.closest("section, .card");
          var named = wrap.querySelector("caption") || (box && box.querySelector("h2, h3")) ||
            document.querySelector("h1");
          var name = named ? named.textContent.trim() : "";
          if (name) {
            wrap.setAttribute("role", "region");
            wrap.setAttribute("aria-label", name);
            wrap.setAttribute("data-scroller", "named");
          }
        }
      } else if (!scrolls && wrap.hasAttribute("data-scroller")) {
        if (wrap.getAttribute("data-scroller") === "named") {
          wrap.removeAttribute("role");
          wrap.removeAttribute("aria-label");
        }
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("data-scroller");
      }
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
