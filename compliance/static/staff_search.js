// Search-as-you-type for staff pickers (templates/macros/forms.html `staff_search`): the input
// takes a staff code and works without this script; with it, typing asks the lookup for at most
// 20 matching people (code or name, in the user's scope) and offers them in the datalist. The
// chosen option's value is the staff code, so the form submits the same thing either way.
// With `data-multiple` the input holds several codes (spaces or commas between them): the last
// one typed is searched and a suggestion completes it, keeping the codes before it.
(function () {
  "use strict";

  function attach(input) {
    if (input.dataset.staffSearchReady) return;
    input.dataset.staffSearchReady = "1";
    var list = document.getElementById(input.getAttribute("list"));
    var status = document.getElementById(input.id + "-status");
    var url = input.getAttribute("data-staff-search");
    var timer = null;
    var asked = "";
    var controller = null;
    var multiple = input.hasAttribute("data-multiple");

    // The part being typed and what comes before it (several codes in one input).
    function parts() {
      var value = input.value;
      if (!multiple) return { head: "", q: value.trim() };
      var match = /^(.*[\s,，;；、])?([^\s,，;；、]*)$/.exec(value);
      return { head: (match && match[1]) || "", q: ((match && match[2]) || "").trim() };
    }

    function show(results, q) {
      var now = parts();
      if (now.q !== q) return; // typed on meanwhile
      list.textContent = "";
      results.forEach(function (s) {
        var option = document.createElement("option");
        option.value = now.head + s.staff_no;
        option.label = s.name + " · " + s.site;
        option.textContent = s.name + " · " + s.site;
        list.appendChild(option);
      });
      if (status) {
        var template = status.getAttribute("data-template") || "{n}";
        status.textContent = template.replace("{n}", String(results.length));
      }
    }

    function search() {
      var q = parts().q;
      if (!q || q === asked) return;
      asked = q;
      var params = new URLSearchParams({ q: q, limit: "20" });
      var site = input.getAttribute("data-site");
      if (site) params.set("site", site);
      if (controller) controller.abort();
      controller = "AbortController" in window ? new AbortController() : null;
      fetch(url + "?" + params.toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (r) {
          return r.ok ? r.json() : { results: [] };
        })
        .then(function (data) {
          show(data.results || [], q);
        })
        .catch(function () {
          /* offline or aborted: the typed code still submits */
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
  }

  function init() {
    document.querySelectorAll("input[data-staff-search]").forEach(attach);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
