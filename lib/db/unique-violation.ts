import { Prisma } from "../generated/prisma/client";

/**
 * True when a write failed on a unique constraint (PostgreSQL 23505). Prisma reports it as P2002,
 * or, inside interactive transactions with some driver adapters, as a DriverAdapterError.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) return error.code === "P2002";
  if (!(error instanceof Error)) return false;
  const cause = (error as { cause?: { kind?: string; originalCode?: string; code?: string } }).cause;
  return (
    cause?.kind === "UniqueConstraintViolation" ||
    cause?.originalCode === "23505" ||
    cause?.code === "23505" ||
    (error.name === "DriverAdapterError" && /duplicate key value violates unique constraint/.test(error.message))
  );
}
