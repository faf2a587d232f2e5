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
    // The visible word starts the accessible name, as speech-input users say what they see.
    <button type="button" className="button button-small" onClick={copy}>
      <span aria-live="polite">
        {copied === "yes" ? "Copied" : copied === "failed" ? "Select and copy" : "Copy"}
      </span>
      <span className="sr-only"> {label}</span>
    </button>
  );
}

export function CodeBlock({ code, label }: { code: string; label: string }) {
  return (
    <div className="code-block">
      <div className="code-head">
        <span>{label}</span>
        <CopyButton text={code} label={`the ${label}`} />
      </div>
      <pre tabIndex={0} aria-label={label}>
        <code>{code}</code>
      </pre>
    </div>
  );
}
