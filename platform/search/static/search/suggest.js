// Suggestions driven from the keyboard, for any text box that names its list:
//   <input role="combobox" aria-autocomplete="list" aria-expanded="false"
//          aria-controls="LIST" data-suggest-list="LIST" hx-get="/search/suggest" hx-target="#LIST" ...>
//   <div id="LIST"></div>
// The list is the suggest endpoint's fragment (links in a listbox). Down and Up move through
// it (the text box keeps the focus and points at the option: aria-activedescendant), Enter
// follows the chosen link, Escape closes the list; so does leaving the box. Without this script
// the links are still there to click or tab to.
(() => {
  const options = (list) => Array.from(list.querySelectorAll("[role=option]"));

  function close(input, list) {
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function choose(input, list, index) {
    const all = options(list);
    all.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    if (index < 0) {
      input.removeAttribute("aria-activedescendant");
      return;
    }
    input.setAttribute("aria-activedescendant", all[index].id);
    all[index].scrollIntoView({ block: "nearest" });
  }

  function wire(input) {
    const list = document.getElementById(input.dataset.suggestList);
    if (!list || input.dataset.suggestWired) return;
    input.dataset.suggestWired = "true";
    input.addEventListener("keydown", (event) => {
      const all = options(list);
      const current = all.findIndex((o) => o.getAttribute("aria-selected") === "true");
      if (event.key === "Escape") {
        if (all.length || list.childElementCount) {
          event.preventDefault();
          close(input, list);
        }
      } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && all.length) {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        // From the text box down to the first; up from the first back to the text box.
        const next = current + step < -1 ? all.length - 1 : current + step;
        choose(input, list, next >= all.length ? 0 : next);
      } else if (event.key === "Enter" && current >= 0) {
        event.preventDefault();
        all[current].click(); // each option is the link to its code
      }
    });
    input.addEventListener("blur", () => {
      // A click on a suggestion lands before the list goes (mousedown comes before blur).
      setTimeout(() => {
        if (!list.contains(document.activeElement)) close(input, list);
      }, 150);
    });
    list.addEventListener("mousedown", (event) => event.preventDefault());
    list.addEventListener("htmx:afterSwap", () => {
      input.setAttribute("aria-expanded", String(options(list).length > 0));
      input.removeAttribute("aria-activedescendant");
    });
  }

  function wireAll(root) {
    root.querySelectorAll("[data-suggest-list]").forEach(wire);
  }

  document.addEventListener("DOMContentLoaded", () => wireAll(document));
  document.addEventListener("htmx:load", (event) => wireAll(event.detail.elt));
})();
