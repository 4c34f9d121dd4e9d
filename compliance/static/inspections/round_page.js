// The patrol round kept on the phone (page: inspections/offline_round.html). Everything is saved
// to IndexedDB the moment it is entered; the outbox (outbox.js) sends submitted rounds when the
// network allows. Needs store.js, outbox.js and phone_rounds.js before it.
(function () {
  "use strict";
  var Kit = window.PatrolKit;
  if (!Kit || !Kit.capable) { return; }
  var Store = window.PatrolStore;
  var Outbox = window.PatrolOutbox;
  var $ = Kit.$, $$ = Kit.$$, el = Kit.el, fill = Kit.fill, T = Kit.T, newUuid = Kit.newUuid;
  var stateText = Kit.stateText, renderPhoneRounds = Kit.renderPhoneRounds;
  var shrinkPhoto = Kit.shrinkPhoto, sha256 = Kit.sha256, localDay = Kit.localDay;
  var bindRoundActions = Kit.bindRoundActions, keepSending = Kit.keepSending;
  var registerBackgroundSync = Kit.registerBackgroundSync;

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


  var roundData = Kit.json("round-data");
  if (roundData) {
    var fallback = $("[data-fallback]");
    if (fallback) { fallback.hidden = true; }
    RoundPage(roundData);
  }
})();
