// Search-as-you-type for staff pickers (templates/macros/forms.html `staff_search`): the input
// takes a staff code and works without this script; with it, typing asks the lookup for at most
// 20 matching people (code or name, in the user's scope) and offers them in the datalist. The
// chosen option's value is the staff code, so the form submits the same thing either way.
// With `data-multiple` the input holds several codes (spaces or commas between them): the last
// one typed is searched and a suggestion completes it, keeping the codes before it.
// Seats (templates/rotation/plan.html): a datalist with `data-seat-search` (the seat lookup) serves
// every input that lists it; results are `{id, label}` and the option's value is the seat number.
// Its first options (the plan's own seats) come back when the input is cleared.
(function () {
  "use strict";

  function attach(input) {
    if (input.dataset.staffSearchReady) return;
    input.dataset.staffSearchReady = "1";
    var list = document.getElementById(input.getAttribute("list"));
    var status =
      document.getElementById(input.id + "-status") || document.getElementById(list.id + "-status");
    var seats = list.hasAttribute("data-seat-search");
    var url = input.getAttribute("data-staff-search") || list.getAttribute("data-seat-search");
    var timer = null;
    var controller = null;
    var multiple = input.hasAttribute("data-multiple");
    if (!list.initialOptions) list.initialOptions = Array.prototype.slice.call(list.children);

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
        option.value = seats ? String(s.id) : now.head + s.staff_no;
        option.label = seats ? s.label : s.name + " · " + s.site;
        option.textContent = option.label;
        list.appendChild(option);
      });
      if (status) {
        var template = status.getAttribute("data-template") || "{n}";
        status.textContent = template.replace("{n}", String(results.length));
      }
    }

    function search() {
      var q = parts().q;
      if (!q) {
        list.replaceChildren.apply(list, list.initialOptions);
        list.asked = "";
        return;
      }
      if (q === list.asked) return; // the list (shared by seat inputs) already answers it
      list.asked = q;
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
    document.querySelectorAll("datalist[data-seat-search]").forEach(function (list) {
      document.querySelectorAll('input[list="' + list.id + '"]').forEach(attach);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
