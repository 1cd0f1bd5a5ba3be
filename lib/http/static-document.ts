/** A precomputed GET response (discovery documents, the JWKS): the body never depends on the request. */
export interface StaticDocument {
  body: string;
  /** A strong entity tag of the body (RFC 9110 §8.8.3). */
  etag: string;
  /** content-type, cache-control and friends; etag is added. */
  headers: Record<string, string>;
}

/**
 * True when an If-None-Match field value matches `etag` (RFC 9110 §13.1.2: "*" or a list of entity
 * tags, compared with the weak comparison function, so a W/ prefix is ignored).
 */
export function ifNoneMatchMatches(fieldValue: string | null | undefined, etag: string): boolean {
  if (fieldValue === null || fieldValue === undefined) return false;
  const value = fieldValue.trim();
  if (value === "*") return true;
  const opaque = etag.replace(/^W\//, "");
  for (const candidate of value.split(",")) {
    if (candidate.trim().replace(/^W\//, "") === opaque) return true;
  }
  return false;
}

/** Status and headers for a static document request (both doors use this, so they answer alike). */
export function staticDocumentReply(doc: StaticDocument, ifNoneMatch: string | null | undefined): { status: 200 | 304; headers: Record<string, string>; body: string | null } {
  const headers = { ...doc.headers, etag: doc.etag };
  // RFC 9110 §15.4.5: a 304 carries the validators and Cache-Control a 200 would have had.
  if (ifNoneMatchMatches(ifNoneMatch, doc.etag)) return { status: 304, headers, body: null };
  return { status: 200, headers, body: doc.body };
}
