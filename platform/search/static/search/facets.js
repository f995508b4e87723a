// On a phone the facets come after the results, folded behind one button (search.css); the
// button says whether they are shown. Without this script they are simply listed after the
// results.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".facets").forEach((facets) => {
    const toggle = facets.querySelector(".facets-toggle");
    if (!toggle) return;
    facets.setAttribute("data-collapsible", "");
    toggle.addEventListener("click", () => {
      const open = facets.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  });
});
