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
