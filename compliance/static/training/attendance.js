// One tap per person: post the status without reloading the page. Without this file every
// button is an ordinary form post and the page reloads.
(function () {
  "use strict";
  var list = document.querySelector("ul.attendance");
  if (!list || !window.fetch) { return; }
  var errorBox = document.getElementById("attendance-error");

  function recount() {
    var counts = {};
    list.querySelectorAll("li[data-status]").forEach(function (li) {
      var s = li.getAttribute("data-status");
      if (s) { counts[s] = (counts[s] || 0) + 1; }
    });
    document.querySelectorAll("[data-tally]").forEach(function (el) {
      el.textContent = counts[el.getAttribute("data-tally")] || 0;
    });
  }

  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("tap")) { return; }
    event.preventDefault();
    var li = form.closest("li");
    li.classList.add("busy");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json", "X-CSRFToken": window.complianceCsrf || "" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      li.classList.remove("busy");
      if (!result.ok || !result.data.ok) {
        errorBox.textContent = (result.data && result.data.reason) || "Error";
        return;
      }
      errorBox.textContent = "";
      li.setAttribute("data-status", result.data.status);
      li.querySelectorAll("button").forEach(function (b) {
        var chosen = b.classList.contains("tap-" + result.data.status);
        b.classList.toggle("chosen", chosen);
        b.setAttribute("aria-pressed", chosen ? "true" : "false");
      });
      recount();
    }).catch(function () {
      li.classList.remove("busy");
      form.submit();
    });
  });
})();
