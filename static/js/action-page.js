// Mass-action pages: one submission per form. Over 100,000 customers an action takes
// seconds; a second click meanwhile would send the request again (Send Mail would be
// refused by the server as a repeat, but the performer would not see why).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches(".action-page form") || event.defaultPrevented) return;
  if (form.dataset.submitted) {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "true";
  form.setAttribute("aria-busy", "true");
  const button = form.querySelector("button[type=submit]");
  if (button) {
    button.setAttribute("aria-disabled", "true");
    button.dataset.label = button.textContent;
    button.textContent = "Working…";
  }
});

// Back to the page from the browser's cache after submitting: usable again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  document.querySelectorAll(".action-page form[data-submitted]").forEach((form) => {
    delete form.dataset.submitted;
    form.removeAttribute("aria-busy");
    const button = form.querySelector("button[type=submit][data-label]");
    if (button) {
      button.textContent = button.dataset.label;
      button.removeAttribute("aria-disabled");
    }
  });
});
