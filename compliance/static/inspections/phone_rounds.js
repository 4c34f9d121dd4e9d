// Rounds kept on the phone, shared by the patrol page and the round page: photos made small on
// the phone, the list of rounds on the phone with their states and what can be done about each,
// and the loop that keeps the outbox (outbox.js) sending. Without this script, or on a browser
// that cannot keep data, the server-recorded round is used instead.
(function () {
  "use strict";
  var Store = window.PatrolStore;
  var Outbox = window.PatrolOutbox;
  var MAX_SIDE = 1600;
  var JPEG_QUALITY = 0.8;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function json(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (m, k) { return values[k] !== undefined ? values[k] : m; });
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else if (k === "className") { node.className = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); } });
    return node;
  }
  function hhmm(iso) {
    var d = new Date(iso);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }
  function localDay(d) {
    d = d || new Date();
    return d.getFullYear() + "-" + ("0" + (d.getMonth() + 1)).slice(-2) + "-" + ("0" + d.getDate()).slice(-2);
  }
  function newUuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  var capable = !!(Store && Outbox && window.indexedDB && window.crypto && crypto.subtle && window.Promise &&
    window.HTMLCanvasElement && HTMLCanvasElement.prototype.toBlob);
  var T = json("patrol-text") || {};

  // ------------------------------------------------------------------ photos

  // Orientation applied (the browser draws the photo upright), long edge at most 1600 px,
  // JPEG at 0.8: what is kept on the phone and sent.
  function shrinkPhoto(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var w = img.naturalWidth, h = img.naturalHeight;
        var scale = Math.min(1, MAX_SIDE / Math.max(w, h));
        var cw = Math.max(1, Math.round(w * scale)), ch = Math.max(1, Math.round(h * scale));
        var canvas = document.createElement("canvas");
        canvas.width = cw; canvas.height = ch;
        var ctx = canvas.getContext("2d");
        ctx.imageSmoothingEnabled = true;
        ctx.imageSmoothingQuality = "high";
        ctx.fillStyle = "#fff";
        ctx.fillRect(0, 0, cw, ch);
        ctx.drawImage(img, 0, 0, cw, ch);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) {
          if (blob) { resolve({ blob: blob, width: cw, height: ch }); } else { reject(new Error("encode")); }
        }, "image/jpeg", JPEG_QUALITY);
      };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("unreadable")); };
      img.src = url;
    });
  }

  function sha256(blob) {
    return blob.arrayBuffer().then(function (buffer) { return crypto.subtle.digest("SHA-256", buffer); })
      .then(function (digest) {
        return Array.prototype.map.call(new Uint8Array(digest), function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
      });
  }

  // ------------------------------------------------------------------ round states

  function stateText(round) {
    var text = T["state_" + round.state] || round.state;
    var reason = "";
    var error = round.error || {};
    if (round.state === "attention") {
      if (error.code === "refused") {
        reason = error.what === "photo" ? fill(T.reason_photo, { reason: error.reason }) : error.reason;
      } else { reason = T["reason_" + error.code] || error.reason || ""; }
    } else if (round.state === "queued" && error.code) {
      reason = T["reason_" + error.code] || "";
      if (round.next_at) { reason += " " + fill(T.next_try, { time: new Date(round.next_at).toLocaleTimeString() }); }
    }
    return { label: text, reason: reason };
  }

  function renderConflict(round, box, labels) {
    var phone = el("div", { className: "version" }, [el("h3", { text: T.phone_version })]);
    var list = el("ul");
    ((round.payload && round.payload.failures) || []).forEach(function (f) {
      var target = labels[f.target] ? labels[f.target].label : f.target;
      list.appendChild(el("li", { text: f.item_code + " · " + target + (f.reason ? " · " + f.reason : "") + " · 📷 " + (f.photos || []).length }));
    });
    if (!list.children.length) { list.appendChild(el("li", { text: T.no_failures })); }
    phone.appendChild(list);
    var server = el("div", { className: "version" }, [el("h3", { text: T.server_version })]);
    var s = round.conflict && round.conflict.server;
    if (!s) {
      server.appendChild(el("p", { className: "muted", text: T.server_unknown }));
    } else {
      var slist = el("ul");
      (s.findings || []).forEach(function (f) {
        slist.appendChild(el("li", { text: f.description + (f.reason ? " · " + f.reason : "") + " · 📷 " + f.photos }));
      });
      if (!slist.children.length) { slist.appendChild(el("li", { text: T.no_failures })); }
      server.appendChild(el("p", { className: "muted", text: fill(T.started, { time: s.started_at ? hhmm(s.started_at + (/Z$|\+/.test(s.started_at) ? "" : "Z")) : "" }) }));
      server.appendChild(slist);
    }
    box.appendChild(el("div", { className: "versions" }, [phone, server]));
  }

  // One round on the phone, with what can be done about it.
  function roundItem(round, opts) {
    var st = stateText(round);
    var li = el("li", { className: "phone-round state-" + round.state, "data-round": round.uuid });
    var head = el("div", { className: "trow" }, [
      el("span", {}, [el("b", { text: round.site_name }), " · " + hhmm(round.started_at) +
        (round.failure_count !== undefined ? " · " + fill(T.failures_n, { n: round.failure_count }) : "")]),
      el("span", { className: "state-badge", text: st.label })
    ]);
    li.appendChild(head);
    if (st.reason) { li.appendChild(el("p", { className: "reason", text: st.reason })); }
    var actions = el("div", { className: "actions" });
    var error = round.error || {};
    if (round.state === "synced" && round.inspection_id) {
      actions.appendChild(el("a", { className: "btn", href: opts.detailUrl + "/" + round.inspection_id, text: T.view }));
    }
    if (round.state === "open" && opts.roundUrl) {
      actions.appendChild(el("a", { className: "btn primary", href: opts.roundUrl.replace("/0/", "/" + round.site_id + "/"), text: T.continue }));
    }
    if (round.state === "queued") {
      actions.appendChild(el("button", { type: "button", className: "btn", "data-act": "retry", text: T.retry_now }));
    }
    if (round.state === "attention" && error.code === "signin") {
      actions.appendChild(el("a", { className: "btn primary", href: opts.loginUrl, text: T.sign_in }));
    }
    if (round.state === "attention" && error.code === "conflict") {
      renderConflict(round, li, round.labels || {});
      actions.appendChild(el("button", { type: "button", className: "btn primary", "data-act": "resend-new", text: T.resend_new }));
    }
    if (round.state === "attention" && error.code === "refused") {
      actions.appendChild(el("button", { type: "button", className: "btn primary", "data-act": "reopen", text: T.edit_resend }));
    }
    if (round.state === "attention" && error.code !== "signin" && error.code !== "other_user") {
      actions.appendChild(el("button", { type: "button", className: "btn danger", "data-act": "delete", text: T.delete_phone }));
    }
    if (actions.children.length) { li.appendChild(actions); }
    return li;
  }

  function renderPhoneRounds(rounds, opts) {
    var box = $("[data-phone-rounds-box]");
    var list = $("[data-phone-rounds]");
    if (!box || !list) { return; }
    list.textContent = "";
    rounds.sort(function (a, b) { return a.started_at < b.started_at ? 1 : -1; }).forEach(function (r) {
      list.appendChild(roundItem(r, opts));
    });
    box.hidden = rounds.length === 0;
  }

  function rekeyRound(round) {
    // A separate new round with the phone's content (after a 409): new UUID, same failures.
    return Store.exportRound(round.uuid).then(function (bundle) {
      var uuid = newUuid();
      bundle.round.uuid = uuid;
      bundle.round.payload.uuid = uuid;
      bundle.round.state = "queued";
      bundle.round.error = null; bundle.round.conflict = null; bundle.round.attempts = 0; bundle.round.next_at = null;
      bundle.failures.forEach(function (f) { f.round = uuid; });
      bundle.photos.forEach(function (p) { p.round = uuid; p.key = Store.photoKey(uuid, p.sha); p.uploaded = false; });
      return Store.deleteRound(round.uuid).then(function () { return Store.importRound(bundle); });
    });
  }

  function bindRoundActions(opts, onReopen) {
    var list = $("[data-phone-rounds]");
    if (!list) { return; }
    list.addEventListener("click", function (e) {
      var button = e.target.closest("button[data-act]");
      if (!button) { return; }
      var uuid = button.closest("[data-round]").getAttribute("data-round");
      var act = button.getAttribute("data-act");
      Store.getRound(uuid).then(function (round) {
        if (!round) { return null; }
        if (act === "retry") { return Outbox.run({ force: true }); }
        if (act === "delete") {
          if (!window.confirm(T.confirm_delete)) { return null; }
          return Store.deleteRound(uuid).then(function () { Store.changed({ round: uuid }); });
        }
        if (act === "resend-new") {
          if (!window.confirm(T.confirm_resend_new)) { return null; }
          return rekeyRound(round).then(function () { Store.changed({}); return Outbox.run({ force: true }); });
        }
        if (act === "reopen" && onReopen) { return onReopen(round); }
        return null;
      }).then(function () { if (opts.refresh) { opts.refresh(); } });
    });
  }

  function keepSending(onChange) {
    var timer = null;
    function schedule(result) {
      clearTimeout(timer);
      if (result && result.next_at) {
        var wait = Math.max(1000, Date.parse(result.next_at) - Date.now());
        timer = setTimeout(go, Math.min(wait, 600000));
      }
    }
    function go(force) {
      if (!navigator.onLine && !force) { return Outbox.summary().then(schedule); }
      return Outbox.run({ force: !!force }).then(function (result) { schedule(result); onChange(); return result; });
    }
    window.addEventListener("online", function () { go(true); });
    Store.onChange(function () { onChange(); });
    go(false);
    return go;
  }

  function registerBackgroundSync() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync) { return reg.sync.register("compliance-sync"); }
    }).catch(function () {});
  }


  // ------------------------------------------------------------------ the patrol page

  function PatrolPage(data) {
    $$("[data-offline-start]").forEach(function (link) {
      link.hidden = false;
      var form = link.parentNode.querySelector("form.start-round");
      if (form) { form.hidden = true; }
    });
    var opts = { detailUrl: data.urls.detail, loginUrl: data.urls.login, roundUrl: data.urls.round, refresh: refresh };
    function refresh() {
      return Store.listRounds().then(function (all) {
        renderPhoneRounds(all, opts);
      });
    }
    bindRoundActions(opts, function (round) {
      window.location.href = data.urls.round.replace("/0/", "/" + round.site_id + "/");
    });
    keepSending(refresh);
    refresh();
  }

  window.PatrolKit = {
    $: $, $$: $$, json: json, fill: fill, el: el, hhmm: hhmm, localDay: localDay, newUuid: newUuid,
    capable: capable, T: T, shrinkPhoto: shrinkPhoto, sha256: sha256, stateText: stateText,
    renderPhoneRounds: renderPhoneRounds, bindRoundActions: bindRoundActions,
    keepSending: keepSending, registerBackgroundSync: registerBackgroundSync
  };
  if (!capable) {
    var why = $("[data-fallback]");
    if (why && T.no_support) { why.insertBefore(el("p", { className: "muted", text: T.no_support }), why.firstChild); }
    return;
  }
  var patrolData = json("patrol-data");
  if (patrolData) { PatrolPage(patrolData); }
})();
