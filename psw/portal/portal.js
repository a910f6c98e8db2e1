// The portal's one script (a file, as its Content Security Policy allows no inline
// script): on an upload's page, ask every 3 seconds whether the platform's report is
// written, and show the link when it is. Without it the page still works: reload it.
(function () {
  var box = document.getElementById("platform-report");
  if (!box || !box.dataset.poll) { return; }
  var tries = 0;
  function ask() {
    tries += 1;
    fetch(box.dataset.poll, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (body && body.report) {
          window.location.reload();
        } else if (tries < 200) {
          window.setTimeout(ask, 3000);
        }
      })
      .catch(function () { if (tries < 200) { window.setTimeout(ask, 3000); } });
  }
  window.setTimeout(ask, 3000);
})();
