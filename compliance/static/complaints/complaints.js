// The complaint form: show only the field for what the complaint is about (staff member, window
// or site), and the complaint-only fields for a complaint. The form works without this file.
(function () {
  "use strict";
  function ready() {
    var form = document.querySelector("form.complaint-form");
    if (!form) { return; }
    function value(name) {
      var checked = form.querySelector('input[name="' + name + '"]:checked');
      var select = form.querySelector('select[name="' + name + '"]');
      return checked ? checked.value : (select ? select.value : "");
    }
    function update() {
      var subject = value("subject");
      var complaint = value("kind") !== "commendation";
      var blocks = form.querySelectorAll("[data-subject]");
      for (var i = 0; i < blocks.length; i++) {
        blocks[i].hidden = blocks[i].getAttribute("data-subject") !== (complaint ? subject : "staff");
      }
      var only = form.querySelectorAll("[data-complaint-only]");
      for (var j = 0; j < only.length; j++) { only[j].hidden = !complaint; }
    }
    form.addEventListener("change", update);
    update();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
