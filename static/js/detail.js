// Customer detail page: ask before destructive forms (data-confirm). Without JavaScript the
// forms simply submit.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
