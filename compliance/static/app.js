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
})();
