// The outbox: sends rounds submitted on the phone through the idempotent API, from the round
// page or from the service worker (no page open). Each round goes as its photos (keyed by the
// round's UUID and their SHA-256), then the round itself (keyed by its UUID): sending again, any
// number of times, creates nothing twice. What the server refuses is kept and shown, never
// dropped: "attention" with the reason, and for a 409 (same UUID, other content) both versions.
(function (root) {
  "use strict";
  var Store = root.PatrolStore;
  var LOCK = "compliance-patrol-outbox";
  var KEEP_SYNCED_DAYS = 3;
  // Refusals that clear by themselves: signed out (sign in again), another user signed in.
  var AUTO_RETRY = { signin: true, other_user: true };

  function nowIso() { return new Date().toISOString(); }

  // 5 s, 10 s, 20 s ... up to 10 minutes, with jitter so phones do not all come back at once.
  function backoffMs(attempts) {
    var seconds = Math.min(600, 5 * Math.pow(2, Math.max(0, attempts - 1)));
    return Math.round(seconds * (0.8 + Math.random() * 0.4) * 1000);
  }

  // Waiting for the network is over as soon as there is one; a server error waits its backoff.
  function due(round, now, force) {
    if (round.state === "queued" || round.state === "syncing") {
      return force || !round.next_at || Date.parse(round.next_at) <= now ||
        (round.error && round.error.code === "offline") || round.state === "syncing";
    }
    return round.state === "attention" && round.error && AUTO_RETRY[round.error.code] === true;
  }

  function Outcome(kind, detail) {
    this.kind = kind; // retry | signin | other_user | refused | conflict
    this.detail = detail || {};
  }

  function readJson(response) {
    return response.text().then(function (text) {
      try { return JSON.parse(text); } catch (e) { return null; }
    });
  }

  // What an answer means for the outbox.
  function judge(response, body, what) {
    var status = response.status;
    if (response.type === "opaqueredirect" || status === 401) { return new Outcome("signin"); }
    if (status === 400 && body && body.code === "csrf") { return new Outcome("signin"); }
    if (status === 409) { return new Outcome("conflict", { status: status, code: body && body.code, reason: body && body.reason }); }
    if (status === 408 || status === 429 || status >= 500) {
      return new Outcome("retry", { status: status, reason: body && body.reason });
    }
    return new Outcome("refused", {
      status: status,
      code: (body && body.code) || "http_" + status,
      reason: (body && body.reason) || "HTTP " + status,
      errors: body && body.errors,
      what: what
    });
  }

  function session(round) {
    return fetch(round.urls.session, {
      credentials: "same-origin", cache: "no-store", redirect: "manual",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401) { return { signedOut: true }; }
      if (response.status === 403) { return { forbidden: true }; }
      if (!response.ok) { throw new Outcome("retry", { status: response.status }); }
      return response.json();
    }, function () { throw new Outcome("retry", { offline: true }); });
  }

  function post(url, auth, body, isJson) {
    var headers = { "X-CSRFToken": auth.csrf_token, Accept: "application/json" };
    if (isJson) { headers["Content-Type"] = "application/json"; }
    return fetch(url, {
      method: "POST", credentials: "same-origin", redirect: "manual", headers: headers,
      body: isJson ? JSON.stringify(body) : body
    }).then(function (response) {
      return readJson(response).then(function (data) { return { response: response, body: data }; });
    }, function () { throw new Outcome("retry", { offline: true }); });
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", redirect: "manual", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; }, function () { return null; });
  }

  function setState(uuid, change) {
    return Store.updateRound(uuid, change).then(function (round) {
      Store.changed({ round: uuid });
      return round;
    });
  }

  function uploadPhotos(round, auth) {
    return Store.photosOf(round.uuid).then(function (photos) {
      var needed = {};
      (round.payload.failures || []).forEach(function (f) {
        (f.photos || []).forEach(function (sha) { needed[sha] = true; });
      });
      var queue = photos.filter(function (p) { return needed[p.sha] && !p.uploaded; });
      var chain = Promise.resolve();
      queue.forEach(function (photo) {
        chain = chain.then(function () {
          var form = new FormData();
          form.append("file", photo.blob, photo.sha.slice(0, 12) + ".jpg");
          form.append("sha256", photo.sha);
          return post(round.urls.inspections + "/" + round.uuid + "/photos", auth, form, false)
            .then(function (answer) {
              if (answer.response.status === 200 || answer.response.status === 201) {
                return Store.markUploaded(round.uuid, photo.sha);
              }
              throw judge(answer.response, answer.body, "photo");
            });
        });
      });
      return chain;
    });
  }

  // The server's version of a round that clashes with the phone's (409), to show both.
  function serverVersion(round) {
    return getJson(round.urls.inspections + "/" + round.uuid).then(function (inspection) {
      if (!inspection) { return null; }
      return Promise.all((inspection.finding_ids || []).map(function (id) {
        return getJson("/api/v1/findings/" + id);
      })).then(function (findings) {
        inspection.findings = findings.filter(Boolean).map(function (f) {
          return {
            description: f.description, target: f.target, window_id: f.window_id,
            staff_member_id: f.staff_member_id, severity: f.severity, reason: f.reason,
            note: f.note, photos: (f.photos || []).length
          };
        });
        return inspection;
      });
    });
  }

  function sendRound(round, auth) {
    if (String(round.user) !== String(auth.user)) { return Promise.reject(new Outcome("other_user")); }
    return setState(round.uuid, function (r) {
      r.state = "syncing"; r.attempts = (r.attempts || 0) + 1; r.last_try_at = nowIso();
    }).then(function () {
      return uploadPhotos(round, auth);
    }).then(function () {
      return post(round.urls.inspections, auth, round.payload, true);
    }).then(function (answer) {
      var status = answer.response.status;
      if (status === 200 || status === 201) {
        var inspection = answer.body || {};
        return Store.forgetContent(round.uuid, {
          synced_at: nowIso(), inspection_id: inspection.id,
          findings: (inspection.finding_ids || []).length
        }).then(function () { Store.changed({ round: round.uuid, synced: true }); return "synced"; });
      }
      var outcome = judge(answer.response, answer.body, "round");
      if (outcome.kind === "conflict") {
        return serverVersion(round).then(function (server) {
          outcome.detail.server = server;
          throw outcome;
        });
      }
      throw outcome;
    });
  }

  function record(round, outcome) {
    return setState(round.uuid, function (r) {
      if (outcome.kind === "retry") {
        r.state = "queued";
        r.next_at = new Date(Date.now() + backoffMs(r.attempts || 1)).toISOString();
        r.error = { code: outcome.detail.offline ? "offline" : "server", status: outcome.detail.status || 0,
          reason: outcome.detail.reason || "" };
      } else {
        r.state = "attention";
        r.next_at = null;
        r.error = {
          code: outcome.kind === "refused" ? "refused" : outcome.kind,
          status: outcome.detail.status || 0,
          server_code: outcome.detail.code || "",
          reason: outcome.detail.reason || "",
          errors: outcome.detail.errors || null,
          what: outcome.detail.what || ""
        };
        if (outcome.kind === "conflict") { r.conflict = { server: outcome.detail.server || null, at: nowIso() }; }
      }
    });
  }

  function purgeOld(rounds) {
    var limit = Date.now() - KEEP_SYNCED_DAYS * 86400000;
    return Promise.all(rounds.filter(function (r) {
      return r.state === "synced" && Date.parse(r.synced_at || r.updated_at) < limit;
    }).map(function (r) { return Store.deleteRound(r.uuid); }));
  }

  function runLocked(options) {
    if (root.navigator && root.navigator.onLine === false) { return summary(); }
    return Store.listRounds().then(function (rounds) {
      var now = Date.now();
      var todo = rounds.filter(function (r) { return r.payload && due(r, now, options.force); });
      return purgeOld(rounds).then(function () {
        if (!todo.length) { return summary(); }
        return session(todo[0]).then(function (auth) {
          if (auth.signedOut) {
            return Promise.all(todo.map(function (r) { return record(r, new Outcome("signin")); }));
          }
          if (auth.forbidden) {
            return Promise.all(todo.map(function (r) { return record(r, new Outcome("other_user")); }));
          }
          var chain = Promise.resolve();
          todo.forEach(function (round) {
            chain = chain.then(function () {
              return sendRound(round, auth).catch(function (outcome) {
                if (!(outcome instanceof Outcome)) { outcome = new Outcome("retry", { reason: String(outcome) }); }
                return record(round, outcome);
              });
            });
          });
          return chain;
        }, function (outcome) {
          return Promise.all(todo.map(function (r) { return record(r, outcome instanceof Outcome ? outcome : new Outcome("retry")); }));
        }).then(summary);
      });
    });
  }

  // What is still waiting: {retry: bool, next_at: ISO time of the earliest retry}.
  function summary() {
    return Store.listRounds().then(function (rounds) {
      var waiting = rounds.filter(function (r) {
        return r.state === "queued" || r.state === "syncing" ||
          (r.state === "attention" && r.error && AUTO_RETRY[r.error.code]);
      });
      var next = waiting.map(function (r) { return r.next_at; }).filter(Boolean).sort()[0] || null;
      return { retry: waiting.length > 0, next_at: next, waiting: waiting.length };
    });
  }

  var running = null;
  function run(options) {
    options = options || {};
    if (running && !options.force) { return running; }
    var work = function () { return runLocked(options); };
    var locks = root.navigator && root.navigator.locks;
    var job = (locks ? locks.request(LOCK, work) : work()).catch(function (error) {
      return { retry: true, error: String(error) };
    });
    running = job;
    job.then(function () { if (running === job) { running = null; } });
    return job;
  }

  // Rounds on the phone not yet on the server (counted before signing out).
  function pendingCount() {
    return Store.listRounds().then(function (rounds) {
      return Promise.all(rounds.map(function (r) {
        if (r.state === "synced") { return 0; }
        if (r.state !== "open") { return 1; }
        return Store.failuresOf(r.uuid).then(function (list) { return list.length || (r.note ? 1 : 0) ? 1 : 0; });
      }));
    }).then(function (counts) { return counts.reduce(function (a, b) { return a + b; }, 0); });
  }

  root.PatrolOutbox = { run: run, pendingCount: pendingCount, summary: summary, backoffMs: backoffMs };

  if (root.complianceOffline) {
    root.complianceOffline.onSync(function () { return run(); });
    root.complianceOffline.onPending(pendingCount);
    root.complianceOffline.onClear(function () { return Store.clearAll(); });
  }
})(self);
