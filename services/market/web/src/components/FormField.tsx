import { cloneElement, type ReactElement } from "react";

interface Props {
  id: string;
  label: string;
  hint?: string;
  /** The refusal for this input, shown under it and announced. */
  problem?: string | null;
  children: ReactElement;
}

/** A labelled input with its hint and, when refused, the message right under it. */
export function FormField({ id, label, hint, problem, children }: Props) {
  const described = [hint ? `${id}-hint` : null, problem ? `${id}-problem` : null]
    .filter(Boolean)
    .join(" ");
  return (
    <div className="form-field">
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, {
        id,
        "aria-invalid": problem ? true : undefined,
        "aria-describedby": described || undefined,
      })}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {problem && (
        <p className="field-error" id={`${id}-problem`} role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
