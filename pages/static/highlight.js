// A small code highlighter run in the browser on <code class="language-…"> elements.
// The server sends code as escaped text only (cheap to render and to send); this marks
// keywords, strings, comments, numbers and called names. It reads textContent and builds
// nodes with textContent, so code is never parsed as HTML.
(function () {
  const C_LIKE = "break case catch class const continue default do else enum extends false finally for "
    + "if import in new null return static super switch this throw true try void while";
  const LANGS = {
    python: { words: "and as assert async await break case class continue def del elif else except "
      + "False finally for from global if import in is lambda match None nonlocal not or pass raise "
      + "return self True try while with yield", line: "#", triple: true },
    js: { words: C_LIKE + " async await debugger delete export from function instanceof let of "
      + "typeof undefined var yield interface type implements private public protected readonly as",
      line: "//", block: true, backtick: true },
    sh: { words: "case do done elif else esac export fi for function if in local read return then "
      + "until while echo cd exit set unset source", line: "#" },
    go: { words: C_LIKE + " chan defer func go goto interface map nil package range select struct "
      + "type var", line: "//", block: true, backtick: true },
    rust: { words: C_LIKE + " as async await crate dyn fn impl let loop match mod move mut pub ref "
      + "Self self struct trait type unsafe use where", line: "//", block: true },
    java: { words: C_LIKE + " abstract boolean byte char double final float implements instanceof "
      + "int interface long package private protected public short synchronized throws var",
      line: "//", block: true },
    c: { words: C_LIKE + " auto bool char double extern float goto int long namespace nullptr "
      + "private public register short signed sizeof struct template typedef typename union "
      + "unsigned using virtual", line: "//", block: true },
    sql: { words: "add all alter and as asc by create delete desc distinct drop from group having "
      + "in index insert into is join left limit not null on or order primary references right "
      + "select set table union update values where with", line: "--", block: true, nocase: true },
    ruby: { words: "begin class def do else elsif end ensure false for if in module next nil not "
      + "or redo rescue retry return self super then true undef unless until when while yield",
      line: "#" },
    css: { words: "important media import from to", block: true },
    yaml: { words: "true false null yes no", line: "#" },
    json: { words: "true false null" },
  };
  const ALIASES = {
    py: "python", python3: "python", javascript: "js", jsx: "js", ts: "js", tsx: "js",
    typescript: "js", node: "js", bash: "sh", shell: "sh", zsh: "sh", console: "sh",
    golang: "go", rs: "rust", kotlin: "java", kt: "java", csharp: "java", cs: "java",
    "c++": "c", cpp: "c", h: "c", hpp: "c", swift: "java", php: "js", rb: "ruby",
    scss: "css", less: "css", yml: "yaml", postgresql: "sql", mysql: "sql", sqlite: "sql",
  };
  const cache = {};
  const CALL = /^\s*\(/; // a name followed by "(" is being called or defined

  function grammar(name) {
    const key = ALIASES[name] || name;
    if (!LANGS[key]) return null;
    if (cache[key]) return cache[key];
    const lang = LANGS[key];
    const parts = [];
    const never = "((?!))"; // keeps the group numbers the same for every language
    parts.push(lang.line ? "(" + lang.line.replace(/[/]/g, "\\/") + "[^\\n]*)" : never);
    parts.push(lang.block ? "(\\/\\*[\\s\\S]*?(?:\\*\\/|$))" : never);
    const strings = [];
    if (lang.triple) strings.push('"""[\\s\\S]*?(?:"""|$)', "'''[\\s\\S]*?(?:'''|$)");
    strings.push('"(?:[^"\\\\\\n]|\\\\.)*"?', "'(?:[^'\\\\\\n]|\\\\.)*'?");
    if (lang.backtick) strings.push("`(?:[^`\\\\]|\\\\.)*`?");
    parts.push("(" + strings.join("|") + ")");
    parts.push("(\\b(?:0x[0-9a-fA-F]+|\\d[\\d_]*(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)\\b)");
    parts.push("([A-Za-z_$][\\w$]*)");
    const words = new Set(lang.words.split(" ").map((w) => (lang.nocase ? w.toLowerCase() : w)));
    cache[key] = { pattern: new RegExp(parts.join("|"), "g"), words, nocase: !!lang.nocase };
    return cache[key];
  }

  function highlight(code) {
    const match = /(?:^|\s)language-([\w+#.-]+)/.exec(code.className);
    const rules = match && grammar(match[1].toLowerCase());
    if (!rules) return;
    const text = code.textContent;
    const out = document.createDocumentFragment();
    let last = 0;
    const add = (cls, value) => {
      const span = document.createElement("span");
      span.className = cls;
      span.textContent = value;
      out.appendChild(span);
    };
    rules.pattern.lastIndex = 0;
    for (const m of text.matchAll(rules.pattern)) {
      let token = m[0];
      let cls = null;
      if (m[1] || m[2]) cls = "c";
      else if (m[3]) cls = "s";
      else if (m[4]) cls = "m";
      else if (m[5]) {
        token = m[5];
        const word = rules.nocase ? token.toLowerCase() : token;
        const end = m.index + token.length;
        cls = rules.words.has(word) ? "k" : CALL.test(text.slice(end, end + 16)) ? "nf" : null;
      }
      if (!cls || !token) continue;
      if (m.index > last) out.appendChild(document.createTextNode(text.slice(last, m.index)));
      add(cls, token);
      last = m.index + token.length;
    }
    if (last < text.length) out.appendChild(document.createTextNode(text.slice(last)));
    code.replaceChildren(out);
  }

  function scan(root) {
    if (!root.querySelectorAll) return;
    const found = root.matches && root.matches("code[class*='language-']") ? [root] : [];
    for (const code of [...found, ...root.querySelectorAll("code[class*='language-']")]) {
      if (code.dataset.hl === code.textContent.length + "") continue;
      highlight(code);
      code.dataset.hl = code.textContent.length + "";
    }
  }
  window.bkHighlight = scan;

  document.addEventListener("DOMContentLoaded", () => {
    scan(document.body);
    new MutationObserver((mutations) => {
      for (const mutation of mutations) {
        for (const node of mutation.addedNodes) if (node.nodeType === 1) scan(node);
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
})();
