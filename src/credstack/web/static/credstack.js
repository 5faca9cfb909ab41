// credstack: small progressive enhancements; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Copy buttons: <button data-copy="#id"> copies the text of the element (or its value).
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const target = document.querySelector(button.dataset.copy);
      if (!target) return;
      const value = "value" in target ? target.value : target.textContent;
      try {
        await navigator.clipboard.writeText(value);
        button.textContent = "Copied";
      } catch (_) {
        button.textContent = "Select and copy the text";
      }
    });
  }
  // Live job progress: <section data-job-status="/console/org/jobs/id/status.json">.
  for (const section of document.querySelectorAll("[data-job-status]")) {
    const url = section.dataset.jobStatus;
    const bar = section.querySelector("progress");
    const label = section.querySelector("[data-job-label]");
    const poll = async () => {
      let state;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        state = await response.json();
      } catch (_) {
        return;
      }
      if (bar) { bar.max = Math.max(state.total, 1); bar.value = state.done; }
      if (label) label.textContent = state.label;
      if (state.finished) {
        section.dataset.finished = "true";
        if (state.reload) window.location.reload();
      } else {
        window.setTimeout(poll, 700);
      }
    };
    poll();
  }
});
