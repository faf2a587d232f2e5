import { useEffect, useRef, useState } from "react";

interface Props {
  label: string;
  /** Read by screen readers after the label, to tell apart buttons of one table's rows. */
  detail?: string;
  small?: boolean;
  question: string;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void> | void;
}

/** A button that asks first, in a modal <dialog> (focus trapped, Escape cancels). */
export function ConfirmButton({
  label,
  detail,
  small,
  question,
  confirmLabel,
  danger,
  onConfirm,
}: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => () => dialog.current?.close(), []);
  async function confirm() {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
      dialog.current?.close();
    }
  }
  return (
    <>
      <button
        type="button"
        className={`button ${danger ? "button-danger" : ""} ${small ? "button-small" : ""}`}
        onClick={() => dialog.current?.showModal()}
      >
        {label}
        {detail && <span className="sr-only"> {detail}</span>}
      </button>
      <dialog ref={dialog} className="dialog" aria-label={detail ? `${label} ${detail}` : label}>
        <p>{question}</p>
        <div className="actions">
          <button type="button" className="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button
            type="button"
            className={`button ${danger ? "button-danger" : "button-primary"}`}
            onClick={confirm}
            disabled={busy}
          >
            {confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}
