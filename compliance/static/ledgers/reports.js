// Follows queued exports on the reports page: polls their progress and reloads when one is ready.
// Without this file the page refreshes itself (noscript meta refresh) while an export runs.
(function () {
  "use strict";
  var rows = document.querySelectorAll("tr.export-job");
  var pending = [];
  rows.forEach(function (row) {
    var status = row.getAttribute("data-status");
    if (status === "queued" || status === "running") { pending.push(row); }
  });
  if (!pending.length || !window.fetch) { return; }

  function poll() {
    var left = [];
    var requests = pending.map(function (row) {
      return fetch(row.getAttribute("data-status-url"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (job) {
          if (!job) { return; }
          var bar = row.querySelector(".job-progress");
          if (bar) { bar.value = job.percent; bar.textContent = job.percent + "%"; }
          var count = row.querySelector(".job-rows");
          if (count) { count.textContent = job.progress_rows; }
          if (job.status === "done" || job.status === "failed") {
            window.location.reload();
          } else {
            left.push(row);
          }
        })
        .catch(function () { left.push(row); });
    });
    Promise.all(requests).then(function () {
      pending = left;
      if (pending.length) { window.setTimeout(poll, 2000); }
    });
  }
  window.setTimeout(poll, 1000);
})();
