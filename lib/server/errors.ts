/** Input that breaks a domain rule; `issues` name the fields. */
export class ValidationError extends Error {
  constructor(readonly issues: { field: string; message: string }[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join("; "));
    this.name = "ValidationError";
  }
}

/** The thing to create exists already. */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConflictError";
  }
}

/** Turns a zod error into field-named issues. */
export function fromZodIssues(issues: { path: PropertyKey[]; message: string }[]): ValidationError {
  return new ValidationError(issues.map((i) => ({ field: i.path.map(String).join(".") || "input", message: i.message })));
}
