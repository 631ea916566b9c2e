// Suggestions for the header's "Look up a caller" field: the performer's customers whose
// member name or nickname matches what is typed, in the field's <datalist>. Without
// JavaScript the field still opens the caller card by its exact name or nickname.
(() => {
  const input = document.querySelector("[data-caller-suggestions]");
  if (!input) return;
  const list = document.getElementById(input.getAttribute("list"));
  const MIN_LENGTH = 2; // as the server (views.lookup.MIN_SUGGEST)
  let timer;
  let pending;

  function show(suggestions) {
    list.replaceChildren(
      ...suggestions.map(({ name, nickname }) => {
        const option = document.createElement("option");
        option.value = name;
        if (nickname) option.label = `${name} “${nickname}”`;
        return option;
      }),
    );
  }

  async function suggest(text) {
    pending?.abort();
    pending = new AbortController();
    const url = `${input.dataset.callerSuggestions}?q=${encodeURIComponent(text)}`;
    try {
      const response = await fetch(url, {
        signal: pending.signal,
        headers: { Accept: "application/json" },
      });
      const type = response.headers.get("Content-Type") || "";
      if (response.ok && type.startsWith("application/json")) {
        show((await response.json()).suggestions);
      }
    } catch (error) {
      if (error.name !== "AbortError") show([]);
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (text.length < MIN_LENGTH) {
      pending?.abort();
      show([]);
      return;
    }
    timer = setTimeout(() => suggest(text), 150);
  });
})();
