// The patrol round kept on the phone (page: inspections/offline_round.html) and the list of
// rounds on the phone (patrol page). Everything is saved to IndexedDB the moment it is entered;
// the outbox (outbox.js) sends submitted rounds when the network allows. Without this script,
// or on a browser that cannot keep data, the server-rendered round is used instead.
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

  // ------------------------------------------------------------------ the round page

  function RoundPage(data) {
    var labels = data.targets;
    var items = {};
    data.items.forEach(function (i) { items[i.code] = i; });
    var round = null;
    var failures = [];
    var editor = { target: null, item: null, editing: null, photos: [] };
    var busyPhotos = 0;
    var lastFeedback = null;
    var dialog = $("#fail-editor");
    var form = $("[data-editor]");
    var opts = {
      detailUrl: data.urls.detail,
      loginUrl: data.urls.login,
      roundUrl: data.urls.round,
      refresh: function () { refresh(); }
    };

    function failureFor(target, code) {
      return failures.filter(function (f) { return f.target === target && f.item === code; })[0] || null;
    }

    function where(target) {
      return (labels[target] || { where: target }).where;
    }

    function renderFailures() {
      var list = $("[data-fail-list]");
      list.textContent = "";
      failures.forEach(function (f) {
        var item = items[f.item] || { code: f.item, text: "", severity: "" };
        var li = el("li", { "data-failure": f.uuid }, [
          el("div", {}, [el("b", { text: item.code }), " " + item.text + " ",
            el("span", { className: "sev sev-" + (f.severity || item.severity), text: data.severities[f.severity || item.severity] || "" }),
            el("span", { className: "where", text: "· " + where(f.target) + " · 📷 " + (f.photos || []).length })]),
          el("div", { className: "actions" }, [
            el("button", { type: "button", className: "btn", "data-edit": f.uuid, text: T.edit }),
            el("button", { type: "button", className: "btn danger", "data-undo": f.uuid, text: T.undo })
          ])
        ]);
        list.appendChild(li);
      });
      $("[data-failures-box]").hidden = failures.length === 0;
      $("[data-fail-count]").textContent = failures.length;
      var counts = {};
      failures.forEach(function (f) { counts[f.target] = (counts[f.target] || 0) + 1; });
      $$("[data-target]").forEach(function (node) {
        var badge = $(":scope > .trow > [data-count], :scope > [data-count]", node);
        if (!badge) { return; }
        var n = counts[node.getAttribute("data-target")] || 0;
        badge.textContent = n;
        badge.hidden = n === 0;
      });
    }

    function feedback(target, text) {
      if (lastFeedback) { lastFeedback.hidden = true; }
      var section = document.querySelector('[data-target="' + target + '"]');
      if (section && section.tagName === "LI") { section = section.closest("section"); }
      var box = section && $("[data-marked]", section);
      if (!box) { return; }
      box.textContent = "✓ " + text;
      box.hidden = false;
      lastFeedback = box;
      section.scrollIntoView({ block: "nearest" });
    }

    function renderState() {
      if (!round) { return; }
      var open = round.state === "open";
      $("[data-round-body]").hidden = !open;
      $("[data-roundbar]").hidden = !open;
      $("[data-round-done]").hidden = open;
      $("[data-round-state]").textContent = open ? T.state_open : "";
      if (!open) {
        var st = stateText(round);
        $("[data-done-state]").textContent = st.label + (st.reason ? " · " + st.reason : "");
      }
    }

    function refresh() {
      return Store.listRounds().then(function (all) {
        var mine = all.filter(function (r) { return String(r.user) === String(data.user) || r.state !== "synced"; });
        if (round) {
          var current = all.filter(function (r) { return r.uuid === round.uuid; })[0];
          if (current) { round = current; } else if (round.state !== "open") { round = null; }
        }
        renderPhoneRounds(mine.filter(function (r) { return !round || r.uuid !== round.uuid || r.state !== "open"; }), opts);
        if (round) { renderState(); } else { startRound(); }
      });
    }

    function startRound() {
      round = {
        uuid: newUuid(), user: data.user, site_id: data.site.id, site_name: data.site.name,
        started_at: new Date().toISOString(), state: "open", note: "", day: data.day,
        urls: { session: data.urls.session, inspections: data.urls.inspections },
        labels: labels
      };
      failures = [];
      $("[data-round-note]").value = "";
      locate();
      // Ask the browser to keep the phone's rounds even when storage runs low (granted to
      // installed or much-used apps; harmless when refused).
      if (navigator.storage && navigator.storage.persist) { navigator.storage.persist().catch(function () {}); }
      return Store.putRound(round).then(function () { renderFailures(); renderState(); Store.changed({ round: round.uuid }); });
    }

    function locate() {
      if (!navigator.geolocation || !round) { return; }
      var uuid = round.uuid;
      navigator.geolocation.getCurrentPosition(function (pos) {
        Store.updateRound(uuid, function (r) {
          if (r.state !== "open") { return false; }
          r.latitude = pos.coords.latitude; r.longitude = pos.coords.longitude; r.accuracy = pos.coords.accuracy;
        });
      }, function () {}, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    }

    // ---------------------------------------------------------------- the failure editor

    function saveDraft() {
      if (!round || !editor.target) { return Promise.resolve(); }
      return Store.putDraft({
        round: round.uuid, target: editor.target, item: editor.item, editing: editor.editing,
        severity: $("#ed-severity").value, reason: $("#ed-reason").value, note: $("#ed-note").value,
        photos: editor.photos.slice()
      });
    }

    function showError(node, text) { node.textContent = text || ""; node.hidden = !text; }

    function clearErrors() {
      $$("[data-item-error], [data-editor-error], [data-photo-error]", form).forEach(function (n) { showError(n, ""); });
    }

    function renderEditorPhotos() {
      var box = $("[data-editor-photos]");
      box.textContent = "";
      editor.photos.forEach(function (sha) {
        var figure = el("figure", { className: "preview" });
        Store.getPhoto(round.uuid, sha).then(function (p) {
          if (!p) { return; }
          var img = el("img", { alt: T.photo });
          img.src = URL.createObjectURL(p.blob);
          img.onload = function () { URL.revokeObjectURL(img.src); };
          figure.insertBefore(img, figure.firstChild);
        });
        figure.appendChild(el("button", { type: "button", className: "btn small", "data-remove-photo": sha,
          "aria-label": T.remove_photo, text: "✕ " + T.remove_photo }));
        box.appendChild(figure);
      });
    }

    function selectItem(code, keepFields) {
      editor.item = code;
      var radio = form.querySelector('input[name="item"][value="' + code + '"]');
      if (radio) { radio.checked = true; }
      var item = items[code] || {};
      $("[data-photo-hint]").hidden = !item.photo;
      $("[data-editor-panel]").hidden = false;
      $("[data-editor-remove]").hidden = !editor.editing;
      if (!keepFields) {
        var existing = failureFor(editor.target, code);
        if (existing) { loadFailure(existing); }
      }
    }

    function loadFailure(f) {
      editor.editing = f.uuid;
      editor.item = f.item;
      editor.photos = (f.photos || []).slice();
      $("#ed-severity").value = f.severity || "";
      $("#ed-reason").value = f.reason || "";
      $("#ed-note").value = f.note || "";
      $("[data-editor-remove]").hidden = false;
      renderEditorPhotos();
    }

    function openEditor(target, draft) {
      var t = labels[target];
      if (!t) { return; }
      editor = { target: target, item: null, editing: null, photos: [] };
      clearErrors();
      form.reset();
      $("[data-editor-title]").textContent = t.label;
      $$("fieldset[data-kind]", form).forEach(function (fs) { fs.hidden = fs.getAttribute("data-kind") !== t.kind; });
      $$("label.item", form).forEach(function (label) {
        $("[data-already]", label).hidden = !failureFor(target, label.getAttribute("data-item"));
      });
      $("[data-editor-panel]").hidden = true;
      $("[data-editor-remove]").hidden = true;
      $("[data-photo-hint]").hidden = true;
      renderEditorPhotos();
      if (draft) {
        editor.editing = draft.editing || null;
        editor.photos = (draft.photos || []).slice();
        if (draft.item) { selectItem(draft.item, true); }
        $("#ed-severity").value = draft.severity || "";
        $("#ed-reason").value = draft.reason || "";
        $("#ed-note").value = draft.note || "";
        renderEditorPhotos();
      }
      if (!dialog.open) { dialog.showModal(); }
      saveDraft();
    }

    function closeEditor() {
      if (dialog.open) { dialog.close(); }
      editor = { target: null, item: null, editing: null, photos: [] };
    }

    function cancelEditor() {
      var uuid = round.uuid;
      closeEditor();
      return Store.deleteDraft(uuid).then(function () { return Store.dropUnusedPhotos(uuid); });
    }

    function addPhotos(files) {
      var error = $("[data-photo-error]");
      showError(error, "");
      var chain = Promise.resolve();
      Array.prototype.forEach.call(files, function (file) {
        busyPhotos += 1;
        $("[data-editor-save]").disabled = true;
        showError($("[data-photo-hint]"), T.photo_busy);
        chain = chain.then(function () {
          return shrinkPhoto(file).then(function (small) {
            return sha256(small.blob).then(function (sha) {
              var usedElsewhere = failures.some(function (f) {
                return f.uuid !== editor.editing && (f.photos || []).indexOf(sha) >= 0;
              });
              if (usedElsewhere) { showError(error, T.photo_used); return null; }
              if (editor.photos.indexOf(sha) >= 0) { return null; }
              return Store.putPhoto({
                round: round.uuid, sha: sha, blob: small.blob, type: "image/jpeg", size: small.blob.size,
                width: small.width, height: small.height, uploaded: false, taken_at: new Date().toISOString()
              }).then(function () {
                editor.photos.push(sha);
                renderEditorPhotos();
                return saveDraft();
              });
            });
          }).catch(function () { showError(error, T.photo_unreadable); });
        }).then(function () {
          busyPhotos -= 1;
          if (busyPhotos === 0) {
            $("[data-editor-save]").disabled = false;
            var item = items[editor.item] || {};
            $("[data-photo-hint]").textContent = "📷 " + T.photo_hint;
            $("[data-photo-hint]").hidden = !item.photo;
          }
        });
      });
      return chain;
    }

    function saveFailure() {
      clearErrors();
      if (!editor.item) {
        showError($("[data-editor-error]"), T.choose_item);
        var first = form.querySelector("fieldset:not([hidden]) input[name=item]");
        if (first) { first.focus(); }
        return;
      }
      var item = items[editor.item];
      if (item.photo && editor.photos.length === 0) {
        // Said at the item, before the editor is left.
        showError(form.querySelector('[data-item-error="' + item.code + '"]'), fill(T.photo_needed, { code: item.code }));
        showError($("[data-photo-error]"), fill(T.photo_needed, { code: item.code }));
        $("#ed-photos").focus();
        return;
      }
      var existing = failureFor(editor.target, editor.item);
      var failure = existing || failures.filter(function (f) { return f.uuid === editor.editing; })[0] || {
        uuid: newUuid(), round: round.uuid, target: editor.target, created_at: new Date().toISOString()
      };
      failure.item = editor.item;
      failure.severity = $("#ed-severity").value || null;
      failure.reason = $("#ed-reason").value.trim() || null;
      failure.note = $("#ed-note").value.trim() || null;
      failure.photos = editor.photos.slice();
      failure.saved_at = new Date().toISOString();
      var target = editor.target;
      return Store.putFailure(failure).then(function () {
        return Store.dropUnusedPhotos(round.uuid);
      }).then(function () {
        return Store.failuresOf(round.uuid);
      }).then(function (list) {
        failures = list;
        closeEditor();
        renderFailures();
        feedback(target, fill(T.saved_here, { item: item.code + " " + item.text }));
        Store.changed({ round: round.uuid });
      });
    }

    function removeFailure(uuid) {
      var f = failures.filter(function (x) { return x.uuid === uuid; })[0];
      if (!f || !window.confirm(T.confirm_undo)) { return Promise.resolve(false); }
      return Store.deleteFailure(f).then(function () { return Store.failuresOf(round.uuid); }).then(function (list) {
        failures = list;
        renderFailures();
        var item = items[f.item] || { code: f.item, text: "" };
        feedback(f.target, fill(T.removed_here, { item: item.code + " " + item.text }));
        return true;
      });
    }

    // ---------------------------------------------------------------- submit

    function submitRound() {
      if (!window.confirm(fill(T.confirm_submit, { n: failures.length }))) { return; }
      var missing = failures.filter(function (f) { return (items[f.item] || {}).photo && !(f.photos || []).length; })[0];
      if (missing) { openEditor(missing.target); selectItem(missing.item); return; }
      var now = new Date().toISOString();
      var uuid = round.uuid;
      return Store.updateRound(uuid, function (r) {
        r.state = "queued";
        r.submitted_at = now;
        r.failure_count = failures.length;
        r.photo_count = failures.reduce(function (n, f) { return n + (f.photos || []).length; }, 0);
        r.attempts = 0; r.next_at = null; r.error = null;
        r.payload = {
          uuid: r.uuid, site_id: r.site_id, device_started_at: r.started_at, device_submitted_at: now,
          latitude: r.latitude === undefined ? null : r.latitude,
          longitude: r.longitude === undefined ? null : r.longitude,
          location_accuracy_m: r.accuracy === undefined ? null : r.accuracy,
          note: (r.note || "").trim() || null,
          failures: failures.map(function (f) {
            return { target: f.target, item_code: f.item, severity: f.severity || null,
              reason: f.reason || null, note: f.note || null, photos: (f.photos || []).slice() };
          })
        };
      }).then(function (r) {
        round = r;
        Store.changed({ round: uuid });
        renderState();
        registerBackgroundSync();
        window.scrollTo(0, 0);
        return sendNow(false);
      });
    }

    function reopen(other) {
      // Put a refused round back on the page to edit it (the open one of this site must be empty).
      if (String(other.site_id) !== String(data.site.id)) {
        window.location.href = window.location.pathname.replace(/\/sites\/\d+\//, "/sites/" + other.site_id + "/");
        return Promise.resolve();
      }
      if (round && round.state === "open" && round.uuid !== other.uuid && failures.length) {
        window.alert(T.busy_open);
        return Promise.resolve();
      }
      var drop = round && round.state === "open" && round.uuid !== other.uuid ? Store.deleteRound(round.uuid) : Promise.resolve();
      return drop.then(function () {
        return Store.updateRound(other.uuid, function (r) { r.state = "open"; r.payload = null; r.error = null; r.attempts = 0; });
      }).then(function (r) { return load(r); });
    }

    function load(r) {
      round = r;
      return Store.failuresOf(r.uuid).then(function (list) {
        failures = list;
        $("[data-round-note]").value = r.note || "";
        renderFailures();
        renderState();
        return Store.getDraft(r.uuid);
      }).then(function (draft) {
        if (draft && draft.target && r.state === "open") { openEditor(draft.target, draft); }
        return refresh();
      });
    }

    // ---------------------------------------------------------------- wiring

    document.addEventListener("click", function (e) {
      var fail = e.target.closest("[data-fail]");
      if (fail) { openEditor(fail.getAttribute("data-fail")); return; }
      var edit = e.target.closest("[data-edit]");
      if (edit) {
        var f = failures.filter(function (x) { return x.uuid === edit.getAttribute("data-edit"); })[0];
        if (f) { openEditor(f.target); selectItem(f.item); saveDraft(); }
        return;
      }
      var undo = e.target.closest("[data-undo]");
      if (undo) { removeFailure(undo.getAttribute("data-undo")); return; }
      var rm = e.target.closest("[data-remove-photo]");
      if (rm) {
        editor.photos = editor.photos.filter(function (s) { return s !== rm.getAttribute("data-remove-photo"); });
        renderEditorPhotos();
        saveDraft();
      }
    });
    form.addEventListener("change", function (e) {
      if (e.target.name === "item") {
        clearErrors();
        selectItem(e.target.value);
        $("[data-editor-panel]").scrollIntoView({ behavior: "smooth", block: "start" });
        saveDraft();
      } else if (e.target.id === "ed-photos") {
        addPhotos(e.target.files).then(function () { e.target.value = ""; });
      } else { saveDraft(); }
    });
    form.addEventListener("input", function (e) { if (e.target.id !== "ed-photos") { saveDraft(); } });
    form.addEventListener("submit", function (e) { e.preventDefault(); saveFailure(); });
    $("[data-editor-cancel]").addEventListener("click", cancelEditor);
    dialog.addEventListener("cancel", function (e) { e.preventDefault(); cancelEditor(); });
    $("[data-editor-remove]").addEventListener("click", function () {
      var uuid = editor.editing;
      var target = editor.target;
      removeFailure(uuid).then(function (done) {
        if (done) { closeEditor(); Store.deleteDraft(round.uuid); if (target) { /* feedback shown */ } }
      });
    });
    $("[data-submit]").addEventListener("click", submitRound);
    $("[data-new-round]").addEventListener("click", function () { startRound().then(refresh); });
    $("[data-discard]").addEventListener("click", function () {
      if (!window.confirm(T.confirm_discard)) { return; }
      Store.deleteRound(round.uuid).then(function () { round = null; failures = []; return startRound(); }).then(refresh);
    });
    var noteTimer = null;
    $("[data-round-note]").addEventListener("input", function (e) {
      var value = e.target.value;
      clearTimeout(noteTimer);
      noteTimer = setTimeout(function () {
        Store.updateRound(round.uuid, function (r) { if (r.state !== "open") { return false; } r.note = value; });
      }, 300);
    });

    var clock = $("[data-round-clock]");
    setInterval(function () {
      if (!round || !clock) { return; }
      var s = Math.max(0, Math.floor((Date.now() - Date.parse(round.started_at)) / 1000));
      clock.textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
    }, 1000);

    if (data.day !== localDay()) {
      var stale = $("[data-stale-roster]");
      stale.textContent = fill(T.stale_roster, { day: data.day });
      stale.hidden = false;
    }
    bindRoundActions(opts, reopen);
    var sendNow = keepSending(function () { refresh(); });

    // Resume this site's open round on the phone, or start one.
    Store.listRounds().then(function (all) {
      var open = all.filter(function (r) {
        return r.state === "open" && String(r.site_id) === String(data.site.id) && String(r.user) === String(data.user);
      }).sort(function (a, b) { return a.started_at < b.started_at ? 1 : -1; })[0];
      return open ? load(open) : startRound().then(refresh);
    }, function () {
      // The browser refused to keep data (e.g. a private window): the server-recorded round.
      $("[data-fallback]").hidden = false;
      $("[data-fallback]").insertBefore(el("p", { className: "muted", text: T.no_support }), $("[data-fallback]").firstChild);
    }).then(function () {
      // From a window's QR code: the round opens at that window (shown once the round is loaded).
      var at = window.location.hash && document.getElementById(window.location.hash.slice(1));
      if (at) { at.scrollIntoView(); }
    });
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

  if (!capable) {
    var why = $("[data-fallback]");
    if (why && T.no_support) { why.insertBefore(el("p", { className: "muted", text: T.no_support }), why.firstChild); }
    return;
  }
  var fallback = $("[data-fallback]");
  var roundData = json("round-data");
  if (roundData) {
    if (fallback) { fallback.hidden = true; }
    RoundPage(roundData);
  }
  var patrolData = json("patrol-data");
  if (patrolData) { PatrolPage(patrolData); }
  window.PatrolApp = { shrinkPhoto: shrinkPhoto, sha256: sha256 };
})();
