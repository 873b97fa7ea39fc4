// comity's one script (issue 14). The pages work without it; it only helps:
// - beside each time in UTC, the same time in the reader's own time zone;
// - on /verify, the link's secret (after '#', which browsers never send to a server) is
//   taken out of the address bar and put in the form, which is then posted.
"use strict";

// Beside each <time> in UTC, the same instant in the reader's zone, named (unless the
// reader is in UTC already).
function showLocalTimes() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone === "UTC" || zone === "Etc/UTC") return;
  const lang = document.documentElement.lang || undefined;
  const local = new Intl.DateTimeFormat(lang, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  for (const el of document.querySelectorAll("time[datetime]")) {
    const at = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(at.getTime())) continue;
    const span = document.createElement("span");
    span.className = "local-time";
    span.textContent = " (" + local.format(at) + ")";
    el.after(span);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  // Each help on its own: one that fails leaves the others working.
  try {
    showLocalTimes();
  } catch (e) {
    console.error("comity: local times", e);
  }

  const secretForm = document.getElementById("verify-secret");
  if (secretForm && window.location.hash.length > 1) {
    const secret = decodeURIComponent(window.location.hash.slice(1));
    history.replaceState(null, "", window.location.pathname);
    secretForm.elements.namedItem("token").value = secret;
    secretForm.submit();
  }
});

// The production form: a progress bar while the export uploads (the browser's own upload
// indicator is all there is without the script). The answer replaces the page, as the form
// would.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("produce");
  const bar = document.getElementById("produce-progress");
  if (!form || !bar || !window.XMLHttpRequest || !window.FormData) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    bar.hidden = false;
    request.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
    });
    request.addEventListener("load", () => {
      if (request.responseURL && !request.responseURL.endsWith(form.getAttribute("action"))) {
        window.location.assign(request.responseURL);
        return;
      }
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", () => form.submit());
    form.querySelector("button[type=submit]").disabled = true;
    request.send(new FormData(form));
  });
});
