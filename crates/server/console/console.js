// Latchkey console: comfort only. Every page works without this file.
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    const done = document.getElementById(button.dataset.copy + "-copied");
    if (done) done.textContent = "Copied";
  });
});
// A page that shows a value once replaces its history entry, so that reloading it asks the
// server for the page again (which no longer has the value) instead of sending the form twice.
const once = document.querySelector("[data-shown-once]");
if (once && window.history && window.history.replaceState) {
  window.history.replaceState(null, "", once.dataset.shownOnce);
}
