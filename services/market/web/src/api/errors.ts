// The market answers every error as {"error": {"code", "message", "fields"?}};
// the UI shows that message as written, since it is written for the user.

export interface FieldProblem {
  field: string;
  message: string;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string = "error",
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
    this.name = "ApiFailure";
  }

  /** The problem reported for one body field (e.g. "name"), if any. */
  fieldMessage(name: string): string | undefined {
    return this.fields.find((f) => f.field === `body.${name}` || f.field === name)?.message;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

const FALLBACK: Record<number, string> = {
  401: "You are not logged in.",
  403: "You are not allowed to do this.",
  404: "Not found.",
  429: "Too many attempts; wait a moment and try again.",
  503: "A service behind the market is not answering; try again shortly.",
};

/** An ApiFailure from a status and whatever JSON (or nothing) came with it. */
export function failureFrom(status: number, body: unknown): ApiFailure {
  const error = isRecord(body) && isRecord(body.error) ? body.error : null;
  const message =
    error && typeof error.message === "string" && error.message
      ? error.message
      : FALLBACK[status] ?? `The market answered ${status}.`;
  const code = error && typeof error.code === "string" ? error.code : "error";
  const fields = error && Array.isArray(error.fields) ? (error.fields as FieldProblem[]) : [];
  return new ApiFailure(status, message, code, fields);
}

/** A message for anything caught: the API's own, or a plain sentence. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiFailure) return error.message;
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong.";
}
