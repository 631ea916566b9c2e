// Every form that changes data submits once: an action over 100,000 customers takes seconds,
// and a second click meanwhile would send the request again (a second mail, note or offer).
// On window, so that it runs after the page's own handlers (a confirmation the performer
// cancels, htmx taking the request over): those leave the form usable.
window.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.method !== "post" || event.defaultPrevented) return;
  if (form.dataset.submitted) {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "true";
  form.setAttribute("aria-busy", "true");
  const button = event.submitter || form.querySelector("button[type=submit]");
  if (button) {
    button.setAttribute("aria-disabled", "true");
    button.dataset.label = button.textContent;
    button.textContent = "Working…";
  }
});

// Back to the page from the browser's cache after submitting: usable again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  document.querySelectorAll("form[data-submitted]").forEach((form) => {
    delete form.dataset.submitted;
    form.removeAttribute("aria-busy");
    form.querySelectorAll("[data-label]").forEach((button) => {
      button.textContent = button.dataset.label;
      button.removeAttribute("aria-disabled");
      delete button.dataset.label;
    });
  });
});
