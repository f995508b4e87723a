// Deciding asks first (hx-confirm). A form marked data-confirm-unless-empty="reason" skips the
// question while that field is empty: the answer will be "give a reason", so nothing would be
// decided, and asking "Reject?" before saying so only confuses.
document.addEventListener("htmx:confirm", (event) => {
  const form = event.detail.elt;
  const name = form.dataset && form.dataset.confirmUnlessEmpty;
  if (!name || !event.detail.question) return;
  const field = form.elements[name];
  if (field && !field.value.trim()) {
    event.preventDefault();
    event.detail.issueRequest(true);
  }
});
