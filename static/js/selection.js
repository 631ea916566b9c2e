// The main view's selection (F4, F8), with JavaScript only: a bar saying how many customers
// are checked and what they earned, checked rows that stay checked across the pages of the
// same view (kept in sessionStorage, sent with the action as more "ids"), and action
// buttons that say why they wait while nothing is selected (a visible hint they name).
// Without this file the table's checkboxes and "select all N in this view" work as plain
// form fields, and an action with nothing checked comes back to the view with the message.
(function () {
  "use strict";
  var form = document.getElementById("customer-table-form");
  var bar = form && form.querySelector("[data-selection-bar]");
  if (!bar) return;
  var KEY = "mycustomers.selection";
  var view = form.getAttribute("data-view");  // the view's filters, without page or sort
  var money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  var scope = form.querySelector('input[name="scope"]');
  var hint = form.querySelector("[data-selection-hint]");
  var buttons = form.querySelectorAll(".mass-actions button[formaction]");

  var load = function () {
    try {
      var saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
      if (saved && saved.view === view) return saved.ids;
    } catch (error) { /* storage unavailable or damaged: start afresh */ }
    return {};
  };
  var selected = load();  // id -> earnings, of this view only: another view's is forgotten
  var save = function () {
    try { sessionStorage.setItem(KEY, JSON.stringify({ view: view, ids: selected })); } catch (error) { /* private mode */ }
  };
  var boxes = function () { return form.querySelectorAll('input[type="checkbox"][name="ids"]'); };

  boxes().forEach(function (box) {
    if (selected[box.value] !== undefined) box.checked = true;
  });

  var render = function () {
    var ids = Object.keys(selected), total = 0;
    ids.forEach(function (id) { total += selected[id]; });
    var all = scope && scope.checked;
    bar.hidden = ids.length === 0 && !all;
    bar.querySelector("[data-selected-count]").textContent =
      all ? (scope.getAttribute("data-label") || "All in this view") : ids.length.toLocaleString("en-US");
    bar.querySelector("[data-selected-earnings]").textContent = all ? "" : "· " + money.format(total);
    var nothing = ids.length === 0 && !all;
    // Disabled, but still focusable and clickable, and each names the hint that says why.
    buttons.forEach(function (button) {
      button.setAttribute("aria-disabled", nothing ? "true" : "false");
      if (nothing && hint) button.setAttribute("aria-describedby", hint.id);
      else button.removeAttribute("aria-describedby");
    });
    if (hint) {
      hint.hidden = !nothing;
      if (!nothing) hint.classList.remove("is-asked");
    }
  };

  form.addEventListener("change", function (event) {
    var box = event.target;
    if (box.name === "ids") {
      if (box.checked) selected[box.value] = parseFloat(box.getAttribute("data-earnings")) || 0;
      else delete selected[box.value];
      save();
    }
    render();
  });
  // The header checkbox changes every row at once without a change event per row.
  form.addEventListener("selectionchange", function () {
    boxes().forEach(function (box) {
      if (box.checked) selected[box.value] = parseFloat(box.getAttribute("data-earnings")) || 0;
      else delete selected[box.value];
    });
    save();
    render();
  });
  bar.querySelector("[data-clear-selection]").addEventListener("click", function () {
    selected = {};
    save();
    boxes().forEach(function (box) { box.checked = false; });
    if (scope) scope.checked = false;
    form.dispatchEvent(new Event("change"));
  });

  // Rows checked on other pages travel with the action; nothing selected: say so, stay here.
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.getAttribute("aria-disabled") === "true") {
      event.preventDefault();
      if (hint) { hint.classList.add("is-asked"); hint.focus(); }
      return;
    }
    var here = {};
    boxes().forEach(function (box) { here[box.value] = true; });
    Object.keys(selected).forEach(function (id) {
      if (here[id]) return;
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "ids"; input.value = id;
      form.appendChild(input);
    });
    try { sessionStorage.removeItem(KEY); } catch (error) { /* nothing kept */ }
  });
  render();
})();
