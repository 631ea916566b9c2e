// My Customers main view: progressive enhancements only; every feature works without this file.
(function () {
  "use strict";

  // The Display list and Rows per page pull-downs apply at once (the Show button stays for
  // keyboard users and for browsers without JavaScript).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form.requestSubmit) select.form.requestSubmit();
      else select.form.submit();
    });
  });

  // Keep bookmarkable URLs short: leave empty fields (q=&list=) out of the query.
  document.querySelectorAll("form.controls").forEach(function (controls) {
    controls.addEventListener("submit", function (event) {
      var params = new URLSearchParams();
      new FormData(controls).forEach(function (value, name) {
        if (value !== "") params.append(name, value);
      });
      event.preventDefault();
      var query = params.toString();
      window.location.assign(controls.action + (query ? "?" + query : ""));
    });
  });

  // Header checkbox: checks or clears every row of this page (A2).
  var form = document.getElementById("customer-table-form");
  if (form) {
    var all = form.querySelector("input.select-page");
    var rows = function () { return form.querySelectorAll('input[type="checkbox"][name="ids"]'); };
    var sync = function () {
      var boxes = rows(), checked = 0;
      boxes.forEach(function (box) { if (box.checked) checked += 1; });
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
      form.dispatchEvent(new CustomEvent("selectionchange", { detail: { checked: checked, total: boxes.length } }));
    };
    if (all && rows().length) {
      all.hidden = false;
      all.addEventListener("change", function () {
        rows().forEach(function (box) { box.checked = all.checked; });
        sync();
      });
      form.addEventListener("change", function (event) {
        if (event.target.name === "ids") sync();
      });
      sync();
    }
  }

  // After htmx replaced a customer cell (missed-call flag dismissed), keep keyboard focus in
  // that cell instead of losing it with the removed button.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    var cell = target && target.id ? document.getElementById(target.id) : null;
    if (cell && cell.classList.contains("customer")) {
      var link = cell.querySelector("a");
      if (link) link.focus();
    }
  });
})();
