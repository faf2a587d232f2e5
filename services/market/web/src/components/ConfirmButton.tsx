import { useEffect, useRef, useState } from "react";

interface Props {
  label: string;
  question: string;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void> | void;
}

/** A button that asks first, in a modal <dialog> (focus trapped, Escape cancels). */
export function ConfirmButton({ label, question, confirmLabel, danger, onConfirm }: Props) {
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
        className={`button ${danger ? "button-danger" : ""}`}
        onClick={() => dialog.current?.showModal()}
      >
        {label}
      </button>
      <dialog ref={dialog} className="dialog" aria-label={label}>
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
