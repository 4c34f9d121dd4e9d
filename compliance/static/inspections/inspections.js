// Patrol pages: device time, location, duration, photo preview, the fail panel and a saved note.
// Every page works without this file: it only fills hidden fields and tidies the panel.
(function () {
  "use strict";
  document.documentElement.className += " js";
  function each(sel, fn) { Array.prototype.forEach.call(document.querySelectorAll(sel), fn); }

  // The phone's own clock, sent with the form (the server keeps its time too).
  document.addEventListener("submit", function (e) {
    var f = e.target.querySelectorAll("[data-device-time]");
    for (var i = 0; i < f.length; i++) { f[i].value = new Date().toISOString(); }
  }, true);

  // Location, when the phone allows it.
  if (document.querySelector("[data-geo]") && navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (pos) {
      each("[data-geo]", function (el) {
        el.value = pos.coords[el.getAttribute("data-geo")];
      });
    }, function () {}, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }

  // Running duration of the round.
  each("[data-started]", function (el) {
    var start = Date.parse(el.getAttribute("data-started"));
    function tick() {
      var s = Math.max(0, Math.floor((Date.now() - start) / 1000));
      el.textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
    }
    tick();
    setInterval(tick, 1000);
  });

  // The fail panel opens once an item is tapped; an item already marked opens that failure to
  // edit it in place (its reason, note and photos).
  var panel = document.getElementById("fail-panel");
  if (panel) {
    var checked = document.querySelector('input[name="item"]:checked');
    if (!checked && !document.getElementById("fail-error")) { panel.className += " pending"; }
    each('input[name="item"]', function (radio) {
      radio.addEventListener("change", function () {
        var edit = radio.getAttribute("data-edit-url");
        if (edit) { window.location.assign(edit); return; }
        panel.className = panel.className.replace(" pending", "");
        panel.scrollIntoView({ behavior: "smooth", block: "start" });
      });
    });
    // An item that requires a photo is not saved without one: said at the item, at once.
    var failForm = panel.closest("form");
    failForm.addEventListener("submit", function (e) {
      var item = failForm.querySelector('input[name="item"]:checked');
      if (!item || !item.hasAttribute("data-photo-required")) { return; }
      var files = failForm.querySelector('input[type="file"][name="photos"]');
      var kept = failForm.querySelectorAll('input[name="remove_photo"]').length -
        failForm.querySelectorAll('input[name="remove_photo"]:checked').length;
      if ((files && files.files.length) || kept > 0) { return; }
      e.preventDefault();
      var save = document.getElementById("save-failure");
      var text = (save.getAttribute("data-photo-message") || "").replace("{code}", item.value);
      var at = failForm.querySelector('[data-item-error="' + item.value + '"]');
      var photoError = failForm.querySelector("[data-photo-error]");
      [at, photoError].forEach(function (node) { if (node) { node.textContent = text; node.hidden = false; } });
      if (files) { files.focus(); }
    });
  }

  // Preview of the chosen photos.
  each('input[type="file"][name="photos"]', function (input) {
    var box = input.parentNode.querySelector("[data-previews]");
    input.addEventListener("change", function () {
      if (!box) { return; }
      box.textContent = "";
      for (var i = 0; i < input.files.length; i++) {
        var img = document.createElement("img");
        img.alt = input.files[i].name;
        img.src = URL.createObjectURL(input.files[i]);
        box.appendChild(img);
      }
    });
  });

  // What is typed in the failure panel is kept on the phone until it is saved: a session that
  // expired meanwhile sends the inspector to sign in, and back here with the text restored (a
  // photo has to be chosen again: browsers cannot refill a file field).
  var failForm2 = panel && panel.closest("form");
  var store = null;
  try { store = window.localStorage; } catch (err) { store = null; }
  if (failForm2 && store) {
    var target = failForm2.querySelector('input[name="target"]');
    var draftKey = "fail-draft-" + location.pathname + "-" + (target ? target.value : "");
    var fields = ["severity", "reason", "note"];
    var saved = null;
    try { saved = JSON.parse(store.getItem(draftKey) || "null"); } catch (err) { saved = null; }
    var untouched = !failForm2.querySelector('input[name="item"]:checked') &&
      fields.every(function (n) { var f = failForm2.elements[n]; return !f || !f.value; });
    if (saved && untouched && saved.item) {
      var radio = failForm2.querySelector('input[name="item"][value="' + saved.item + '"]');
      if (radio && !radio.hasAttribute("data-edit-url")) {
        radio.checked = true;
        fields.forEach(function (n) { if (failForm2.elements[n]) { failForm2.elements[n].value = saved[n] || ""; } });
        panel.className = panel.className.replace(" pending", "");
        var restored = document.getElementById("draft-restored");
        if (restored) { restored.hidden = false; }
      }
    }
    var keep = function () {
      var item = failForm2.querySelector('input[name="item"]:checked');
      var value = { item: item ? item.value : "" };
      fields.forEach(function (n) { value[n] = failForm2.elements[n] ? failForm2.elements[n].value : ""; });
      store.setItem(draftKey, JSON.stringify(value));
    };
    failForm2.addEventListener("input", keep);
    failForm2.addEventListener("change", keep);
  }
  // Back on the round page after a save: that target's kept text is no longer needed.
  var done = /[?&](done|removed)=([^&#]+)/.exec(location.search);
  if (done && store) {
    store.removeItem("fail-draft-" + location.pathname + "/fail-" + decodeURIComponent(done[2]));
  }

  // Keep the round's note on the phone until it is submitted (a saved draft survives reloads).
  var round = document.querySelector("form[data-round]");
  if (round && window.localStorage) {
    var key = "round-note-" + round.getAttribute("data-round");
    var note = round.querySelector("textarea[name=note]");
    if (note && !note.value && localStorage.getItem(key)) { note.value = localStorage.getItem(key); }
    if (note) { note.addEventListener("input", function () { localStorage.setItem(key, note.value); }); }
    round.addEventListener("submit", function () { localStorage.removeItem(key); });
  }
})();
