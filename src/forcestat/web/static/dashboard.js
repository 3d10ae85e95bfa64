// forcestat dashboard: progressive enhancement only (every page works without scripts).
// No inline scripts or styles anywhere: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  // Selects in a filter form submit it (forms HTMX already drives are left to HTMX).
  function autosubmit(root) {
    root.querySelectorAll("form[data-autosubmit]:not([hx-get])").forEach(function (form) {
      form.querySelectorAll("select").forEach(function (select) {
        select.addEventListener("change", function () { form.requestSubmit(); });
      });
    });
  }

  // The measure page's SPC chart: Vega-Lite drawn by Vega with its expression interpreter
  // (ast: true), so that no code is generated at run time (no 'unsafe-eval'); vega-embed's
  // own stylesheet and the tooltip's are off (no inline styles): dashboard.css styles both.
  function charts(root) {
    if (typeof window.vegaEmbed !== "function") { return; }
    root.querySelectorAll("[data-spec]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var source = document.getElementById(el.dataset.spec);
      if (!source) { return; }
      el.dataset.drawn = "1";
      var spec = JSON.parse(source.textContent);
      window.vegaEmbed(el, spec, {
        actions: false,
        ast: true,
        defaultStyle: false,
        renderer: "svg",
        tooltip: { disableDefaultStyle: true },
      }).then(function (result) {
        el.classList.add("drawn");
        var svg = el.querySelector("svg");
        if (svg) { svg.setAttribute("aria-hidden", "true"); }
        window.forcestatChart = result.view;
      }).catch(function (err) {
        el.dataset.error = String(err);
      });
    });
  }

  function init(root) { autosubmit(root); charts(root); }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (evt) { init(evt.detail.elt); });
})();
