// Attachments in the composer: the paperclip's file picker, drag and drop onto the
// page, and paste (Ctrl+V of a screenshot) all upload through one XHR each (for its
// progress) and report to the server as "bk_attach" events: start, progress, done, failed.
(function () {
  if (window.bkAttachInit) return;
  window.bkAttachInit = function (options) {
    window.bkAttachOptions = options;
    if (window.bkAttachReady) return;
    window.bkAttachReady = true;
    const root = document.documentElement;
    const input = document.createElement("input");
    input.type = "file";
    input.multiple = true;
    input.hidden = true;
    input.accept = options.accept;
    input.dataset.testid = "attach-input";
    document.body.appendChild(input);
    input.addEventListener("change", () => {
      send(input.files);
      input.value = "";
    });
    window.bkAttachPick = () => input.click();

    const hasFiles = (event) =>
      !!event.dataTransfer && Array.from(event.dataTransfer.types || []).includes("Files");
    let depth = 0;
    document.addEventListener("dragenter", (event) => {
      if (!hasFiles(event)) return;
      depth += 1;
      root.classList.add("bk-dragging");
    });
    document.addEventListener("dragleave", (event) => {
      if (!hasFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (!depth) root.classList.remove("bk-dragging");
    });
    document.addEventListener("dragover", (event) => {
      if (hasFiles(event)) event.preventDefault();
    });
    document.addEventListener("drop", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      root.classList.remove("bk-dragging");
      send(event.dataTransfer.files);
    });
    document.addEventListener("paste", (event) => {
      const files = Array.from((event.clipboardData && event.clipboardData.files) || []);
      if (!files.length) return; // text pastes as text
      event.preventDefault();
      send(files);
    });

    let count = 0;
    function send(files) {
      for (const file of Array.from(files || [])) upload(file);
    }
    function report(args) {
      emitEvent("bk_attach", args);
    }
    function upload(file) {
      const opts = window.bkAttachOptions;
      const key = "a" + ++count + "-" + Date.now();
      const name = file.name || "pasted.png";
      report({ key, state: "start", name, size: file.size });
      if (file.size > opts.maxBytes) {
        report({ key, state: "failed", reason: "too_large" }); // worded by the server
        return;
      }
      const form = new FormData();
      form.append("file", file, name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", opts.url);
      xhr.setRequestHeader("X-BeykuSay-Upload", "1"); // not sendable cross-site by a form
      let shown = 0;
      xhr.upload.onprogress = (event) => {
        if (!event.lengthComputable) return;
        const fraction = event.loaded / event.total;
        if (fraction - shown >= 0.05 || fraction === 1) {
          shown = fraction;
          report({ key, state: "progress", fraction });
        }
      };
      xhr.onload = () => {
        let body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch (error) {
          body = null;
        }
        if (xhr.status === 201 && body) report({ key, state: "done", file: body });
        else {
          // the reason and its values: the server words them in the reader's language
          const reason = body && typeof body.reason === "string" ? body.reason : null;
          const values = body && body.values && typeof body.values === "object" ? body.values : {};
          report({ key, state: "failed", reason, values, status: xhr.status });
        }
      };
      xhr.onerror = () => report({ key, state: "failed", reason: null, status: 0 });
      xhr.send(form);
    }
  };
})();
