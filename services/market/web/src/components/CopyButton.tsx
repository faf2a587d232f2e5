import { useState } from "react";

/** Copies ``text``; says so for sighted and screen-reader users alike. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState<"no" | "yes" | "failed">("no");
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
    window.setTimeout(() => setCopied("no"), 2500);
  }
  return (
    <button type="button" className="button button-small" onClick={copy} aria-label={label}>
      <span aria-live="polite">
        {copied === "yes" ? "Copied" : copied === "failed" ? "Select and copy" : "Copy"}
      </span>
    </button>
  );
}

export function CodeBlock({ code, label }: { code: string; label: string }) {
  return (
    <div className="code-block">
      <div className="code-head">
        <span>{label}</span>
        <CopyButton text={code} label={`Copy ${label}`} />
      </div>
      <pre tabIndex={0} aria-label={label}>
        <code>{code}</code>
      </pre>
    </div>
  );
}
