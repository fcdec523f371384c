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

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    const area = document.createElement("textarea");
    area.value = text;
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } finally { area.remove(); }
    return Promise.resolve();
  }
  window.bkCopy = copyText;

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".bk-copy");
    if (button) {
      const block = button.closest(".bk-code");
      const code = block ? block.querySelector("code") : null;
      if (!code) return;
      copyText(code.innerText).then(() => {
        const label = button.textContent;
        button.textContent = root.dataset.copied || "Copied";
        button.classList.add("bk-copied");
        setTimeout(() => { button.textContent = label; button.classList.remove("bk-copied"); }, 1500);
      });
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
