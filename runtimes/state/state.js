// wasmplay: keep variables between runs (included by qjs before the
// program when the session's "keep variables" switch is on).
//
// The program finds what the last successful run left in `state` and
// changes it as it likes; when the program is done (the script ran and no
// timer it set is pending) the JSON-representable entries of `state` are
// saved for the next run. Others are skipped and named in the run's report.
(function () {
  let restored = {};
  const f = std.open("/state/in.json", "r");
  if (f) {
    try {
      restored = JSON.parse(f.readAsString()).vars || {};
    } catch (e) {
      restored = {};
    }
    f.close();
  }
  globalThis.state = restored;

  let saved = false;
  function save() {
    if (saved) return;
    saved = true;
    const out = {}, skipped = [];
    const s = globalThis.state;
    if (s !== null && typeof s === "object") {
      for (const k of Object.keys(s)) {
        try {
          const text = JSON.stringify(s[k]);
          if (text === undefined) {
            skipped.push(k + " (" + typeof s[k] + ")");
            continue;
          }
          out[k] = JSON.parse(text);
        } catch (e) {
          skipped.push(k + " (" + e.message + ")");
        }
      }
    } else {
      skipped.push("state (not an object)");
    }
    const o = std.open("/state/out.json", "w");
    o.puts(JSON.stringify({ vars: out, skipped: skipped }));
    o.close();
  }

  // Timers the program sets keep it alive: save once none is pending. The
  // std and os modules are frozen, so the globals become copies that track
  // timers (a program that imports "os" itself gets the untracked module).
  const pending = new Set();
  const setTimeout = os.setTimeout, clearTimeout = os.clearTimeout, exit = std.exit;
  globalThis.os = Object.assign({}, os, {
    setTimeout: function (fn, ms) {
      const h = setTimeout(function () {
        pending.delete(h);
        fn();
      }, ms);
      pending.add(h);
      return h;
    },
    clearTimeout: function (h) {
      pending.delete(h);
      clearTimeout(h);
    },
  });
  globalThis.std = Object.assign({}, std, {
    exit: function (code) {
      if (!code) save();
      exit(code);
    },
  });
  function whenIdle() {
    if (pending.size > 0) setTimeout(whenIdle, 1);
    else save();
  }
  setTimeout(whenIdle, 0);
})();
