// Patrol rounds kept on the phone (IndexedDB), shared by the round page and the service worker.
//
//   rounds    {uuid, user, site_id, site_name, started_at, state, note, payload, error, ...}
//   failures  {uuid, round, target, item, severity, reason, note, photos: [sha256], saved_at}
//   photos    {key: round + ":" + sha256, round, sha, blob, type, size, width, height, uploaded}
//   drafts    {round, ...}  the failure being typed, saved on every change
//
// A round's state: open (being filled) -> queued (submitted on the phone) -> syncing -> synced;
// or attention (needs the inspector: signed out, a conflict, a refusal) with `error`.
(function (root) {
  "use strict";
  var NAME = "compliance-patrols";
  var VERSION = 1;
  var opening = null;

  function promised(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function open() {
    if (opening) { return opening; }
    opening = new Promise(function (resolve, reject) {
      var request = root.indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("rounds")) {
          db.createObjectStore("rounds", { keyPath: "uuid" });
        }
        if (!db.objectStoreNames.contains("failures")) {
          db.createObjectStore("failures", { keyPath: "uuid" }).createIndex("round", "round");
        }
        if (!db.objectStoreNames.contains("photos")) {
          db.createObjectStore("photos", { keyPath: "key" }).createIndex("round", "round");
        }
        if (!db.objectStoreNames.contains("drafts")) {
          db.createObjectStore("drafts", { keyPath: "round" });
        }
      };
      request.onsuccess = function () {
        var db = request.result;
        // Another tab upgrading the database: let it, and open again next time.
        db.onversionchange = function () { db.close(); opening = null; };
        resolve(db);
      };
      request.onerror = function () { opening = null; reject(request.error); };
      request.onblocked = function () { /* another tab holds an older version open */ };
    });
    return opening;
  }

  // Run `work(stores)` in one transaction over `names`; resolves once it has committed.
  function tx(names, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(names, mode);
        var stores = {};
        names.forEach(function (n) { stores[n] = t.objectStore(n); });
        var result;
        Promise.resolve(work(stores)).then(function (value) { result = value; }, function (error) {
          try { t.abort(); } catch (e) { /* already finished */ }
          reject(error);
        });
        t.oncomplete = function () { resolve(result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error || new Error("aborted")); };
      });
    });
  }

  function all(store, index, key) {
    var source = index ? store.index(index) : store;
    return promised(key === undefined ? source.getAll() : source.getAll(key));
  }

  function photoKey(round, sha) { return round + ":" + sha; }

  var Store = {
    open: open,
    photoKey: photoKey,

    getRound: function (uuid) {
      return tx(["rounds"], "readonly", function (s) { return promised(s.rounds.get(uuid)); });
    },
    putRound: function (round) {
      round.updated_at = new Date().toISOString();
      return tx(["rounds"], "readwrite", function (s) { s.rounds.put(round); return round; });
    },
    // Change a round in one transaction: `change(round)` edits it (or returns false to skip).
    updateRound: function (uuid, change) {
      return tx(["rounds"], "readwrite", function (s) {
        return promised(s.rounds.get(uuid)).then(function (round) {
          if (!round || change(round) === false) { return round || null; }
          round.updated_at = new Date().toISOString();
          s.rounds.put(round);
          return round;
        });
      });
    },
    listRounds: function () {
      return tx(["rounds"], "readonly", function (s) { return all(s.rounds); });
    },

    failuresOf: function (round) {
      return tx(["failures"], "readonly", function (s) {
        return all(s.failures, "round", round).then(function (list) {
          return list.sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
        });
      });
    },
    putFailure: function (failure) {
      return tx(["failures", "drafts"], "readwrite", function (s) {
        s.failures.put(failure);
        s.drafts.delete(failure.round);
        return failure;
      });
    },
    // Remove a failure and the photos only it used.
    deleteFailure: function (failure) {
      return tx(["failures", "photos"], "readwrite", function (s) {
        s.failures.delete(failure.uuid);
        return all(s.failures, "round", failure.round).then(function (others) {
          var used = {};
          others.forEach(function (f) {
            if (f.uuid !== failure.uuid) { (f.photos || []).forEach(function (sha) { used[sha] = true; }); }
          });
          (failure.photos || []).forEach(function (sha) {
            if (!used[sha]) { s.photos.delete(photoKey(failure.round, sha)); }
          });
        });
      });
    },

    putPhoto: function (photo) {
      photo.key = photoKey(photo.round, photo.sha);
      return tx(["photos"], "readwrite", function (s) { s.photos.put(photo); return photo; });
    },
    getPhoto: function (round, sha) {
      return tx(["photos"], "readonly", function (s) { return promised(s.photos.get(photoKey(round, sha))); });
    },
    photosOf: function (round) {
      return tx(["photos"], "readonly", function (s) { return all(s.photos, "round", round); });
    },
    markUploaded: function (round, sha) {
      return tx(["photos"], "readwrite", function (s) {
        return promised(s.photos.get(photoKey(round, sha))).then(function (p) {
          if (p) { p.uploaded = true; s.photos.put(p); }
        });
      });
    },
    // Photos of the round that neither a saved failure nor the draft uses (a cancelled edit).
    dropUnusedPhotos: function (round) {
      return tx(["failures", "photos", "drafts"], "readwrite", function (s) {
        return Promise.all([
          all(s.failures, "round", round), all(s.photos, "round", round), promised(s.drafts.get(round))
        ]).then(function (found) {
          var used = {};
          found[0].forEach(function (f) { (f.photos || []).forEach(function (sha) { used[sha] = true; }); });
          ((found[2] && found[2].photos) || []).forEach(function (sha) { used[sha] = true; });
          found[1].forEach(function (p) { if (!used[p.sha]) { s.photos.delete(p.key); } });
        });
      });
    },

    getDraft: function (round) {
      return tx(["drafts"], "readonly", function (s) { return promised(s.drafts.get(round)); });
    },
    putDraft: function (draft) {
      return tx(["drafts"], "readwrite", function (s) { s.drafts.put(draft); return draft; });
    },
    deleteDraft: function (round) {
      return tx(["drafts"], "readwrite", function (s) { s.drafts.delete(round); });
    },

    // After a confirmed sync: only a small summary stays (no reasons, notes or photos).
    forgetContent: function (uuid, summary) {
      return tx(["rounds", "failures", "photos", "drafts"], "readwrite", function (s) {
        return Promise.all([all(s.failures, "round", uuid), all(s.photos, "round", uuid)])
          .then(function (found) {
            found[0].forEach(function (f) { s.failures.delete(f.uuid); });
            found[1].forEach(function (p) { s.photos.delete(p.key); });
            s.drafts.delete(uuid);
            return promised(s.rounds.get(uuid)).then(function (round) {
              if (!round) { return null; }
              var kept = {
                uuid: round.uuid, user: round.user, site_id: round.site_id, site_name: round.site_name,
                started_at: round.started_at, submitted_at: round.submitted_at, state: "synced",
                failure_count: round.failure_count, photo_count: round.photo_count,
                updated_at: new Date().toISOString()
              };
              Object.keys(summary || {}).forEach(function (k) { kept[k] = summary[k]; });
              s.rounds.put(kept);
              return kept;
            });
          });
      });
    },
    deleteRound: function (uuid) {
      return tx(["rounds", "failures", "photos", "drafts"], "readwrite", function (s) {
        return Promise.all([all(s.failures, "round", uuid), all(s.photos, "round", uuid)])
          .then(function (found) {
            found[0].forEach(function (f) { s.failures.delete(f.uuid); });
            found[1].forEach(function (p) { s.photos.delete(p.key); });
            s.drafts.delete(uuid);
            s.rounds.delete(uuid);
          });
      });
    },
    clearAll: function () {
      return tx(["rounds", "failures", "photos", "drafts"], "readwrite", function (s) {
        s.rounds.clear(); s.failures.clear(); s.photos.clear(); s.drafts.clear();
      });
    },

    // A round with everything it holds, photos as data: for a copy kept aside (support) and
    // for putting the same round back (tests replay the outbox with it).
    exportRound: function (uuid) {
      return tx(["rounds", "failures", "photos"], "readonly", function (s) {
        return Promise.all([promised(s.rounds.get(uuid)), all(s.failures, "round", uuid),
          all(s.photos, "round", uuid)]);
      }).then(function (found) {
        return Promise.all(found[2].map(function (p) {
          return p.blob.arrayBuffer().then(function (buffer) {
            var bytes = new Uint8Array(buffer);
            var text = "";
            for (var i = 0; i < bytes.length; i += 0x8000) {
              text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
            }
            var copy = {};
            Object.keys(p).forEach(function (k) { if (k !== "blob") { copy[k] = p[k]; } });
            copy.data = root.btoa(text);
            return copy;
          });
        })).then(function (photos) { return { round: found[0], failures: found[1], photos: photos }; });
      });
    },
    importRound: function (bundle) {
      var photos = bundle.photos.map(function (p) {
        var text = root.atob(p.data);
        var bytes = new Uint8Array(text.length);
        for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
        var copy = {};
        Object.keys(p).forEach(function (k) { if (k !== "data") { copy[k] = p[k]; } });
        copy.blob = new Blob([bytes], { type: p.type || "image/jpeg" });
        return copy;
      });
      return tx(["rounds", "failures", "photos"], "readwrite", function (s) {
        s.rounds.put(bundle.round);
        bundle.failures.forEach(function (f) { s.failures.put(f); });
        photos.forEach(function (p) { s.photos.put(p); });
      });
    }
  };

  // Tell every page and the service worker that something changed.
  var channel = root.BroadcastChannel ? new root.BroadcastChannel("compliance-patrols") : null;
  Store.changed = function (what) { if (channel) { channel.postMessage(what || {}); } };
  Store.onChange = function (fn) { if (channel) { channel.addEventListener("message", function (e) { fn(e.data); }); } };

  root.PatrolStore = Store;
})(self);
