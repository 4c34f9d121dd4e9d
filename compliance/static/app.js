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
  function ready() {
    // On a phone the menu is one scrolling row: bring the current page's item into view.
    var nav = document.querySelector(".mainnav");
    var active = nav && nav.querySelector("a.active");
    if (nav && active && nav.scrollWidth > nav.clientWidth) {
      nav.scrollLeft = active.offsetLeft - (nav.clientWidth - active.offsetWidth) / 2;
    }
    // Stacked tables (one card per row on a phone) skip cells that have nothing to show.
    var cells = document.querySelectorAll("table.list.stacked td");
    for (var i = 0; i < cells.length; i++) {
      var td = cells[i];
      if (!td.textContent.trim() && !td.querySelector("img,input,select,button,svg")) { td.classList.add("is-empty"); }
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
