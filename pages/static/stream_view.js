// A growing answer: finished HTML is appended once; the unfinished tail is patched in place.
// Every piece goes through DOMPurify (NiceGUI's setHTML) on top of the server's nh3 pass.
export default {
  template: `<div><div ref="done"></div><div ref="tail"></div></div>`,
  created() {
    this.tailHtml = ""; // not reactive: the template never shows it
  },
  methods: {
    // The stream is `finished + tail`. The first `keep` characters (UTF-16 units) of the old
    // tail stay, `suffix` follows them, and the first `commit` of that are finished for good.
    apply(keep, suffix, commit) {
      const full = this.tailHtml.slice(0, keep) + suffix;
      if (commit > 0) {
        const holder = document.createElement("div");
        holder.setHTML(full.slice(0, commit));
        this.$refs.done.append(...holder.childNodes);
      }
      this.tailHtml = full.slice(commit);
      this.$refs.tail.setHTML(this.tailHtml);
    },
  },
};
