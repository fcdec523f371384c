// BeykuSay browser helpers: theme class, copy buttons, safe links, chat scrolling.
(function () {
  const root = document.documentElement;
  const media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  window.bkTheme = function (theme) {
    root.dataset.theme = theme;
    const dark = theme === "dark" || (theme === "auto" && !!media && media.matches);
    root.classList.toggle("bk-dark", dark);
  };
  if (media) {
    media.addEventListener("change", () => {
      if (root.dataset.theme === "auto") window.bkTheme("auto");
    });
  }

  // The old way, for pages without the Clipboard API (plain http:// to a host name).
  function copyByCommand(text) {
    const focused = document.activeElement;
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.top = "0";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    let copied = false;
    try {
      copied = document.execCommand("copy") === true;
    } catch (error) {
      copied = false;
    } finally {
      area.remove();
      if (focused && focused.focus) focused.focus({ preventScroll: true });
    }
    return copied;
  }

  // Copies text for every copy action (messages and code blocks); resolves to whether it did.
  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (error) {
        // refused (no permission, page not focused): try the old way
      }
    }
    return copyByCommand(text);
  }
  window.bkCopy = copyText;

  function copyCode(button, code) {
    copyText(code.innerText).then((copied) => {
      if (!button.dataset.label) button.dataset.label = button.textContent;
      clearTimeout(button.bkReset);
      if (copied) {
        button.textContent = root.dataset.copied || "Copied";
      } else {
        button.textContent = root.dataset.copyFailed || "Copy failed";
        window.getSelection().selectAllChildren(code); // ready for Ctrl+C
      }
      button.classList.toggle("bk-copied", copied);
      button.bkReset = setTimeout(() => {
        button.textContent = button.dataset.label;
        button.classList.remove("bk-copied");
      }, copied ? 1500 : 4000);
    });
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".bk-copy");
    if (button) {
      const block = button.closest(".bk-code");
      const code = block ? block.querySelector("code") : null;
      if (code) copyCode(button, code);
      return;
    }
    // Links in model output always open in a new tab without a referrer or opener.
    const link = event.target.closest(".bk-md a");
    if (link) {
      event.preventDefault();
      const href = link.getAttribute("href") || "";
      if (/^(https?:|mailto:)/i.test(href)) window.open(href, "_blank", "noopener,noreferrer");
    }
  });

  // Chat scrolling: stay at the bottom while an answer grows, unless the reader scrolled up;
  // load earlier messages when the reader reaches the top.
  let stick = true;
  let loading = false;
  const bottomGap = () => root.scrollHeight - window.scrollY - window.innerHeight;
  window.addEventListener("scroll", () => {
    stick = bottomGap() < 80;
    if (window.scrollY < 300 && !loading) {
      const more = document.querySelector(".bk-load-older");
      if (more && more.offsetParent !== null) {
        loading = true;
        more.click();
        setTimeout(() => { loading = false; }, 700);
      }
    }
  }, { passive: true });
  window.bkScrollToBottom = function () {
    stick = true;
    window.scrollTo(0, root.scrollHeight);
  };
  document.addEventListener("DOMContentLoaded", () => {
    new ResizeObserver(() => {
      if (stick && document.querySelector(".bk-thread")) window.scrollTo(0, root.scrollHeight);
    }).observe(document.body);
  });
})();
