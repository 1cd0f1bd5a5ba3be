/**
 * Subject identifiers (OIDC Core §8). `public`: the user's id, the same for every client, stable
 * and never reused (a random UUID). `pairwise`: a different, stable value per sector identifier
 * (OIDC Core §8.1), so that clients of different sectors cannot correlate a user.
 */
import { createHmac } from "node:crypto";
import type { Client } from "../generated/prisma/client";

/**
 * OIDC Core §8.1: the sector identifier is the host of `sector_identifier_uri` when registered,
 * else the host of the (single host of the) registered redirect URIs.
 */
export function sectorIdentifierOf(client: Pick<Client, "sectorIdentifierUri" | "redirectUris">): string | null {
  const source = client.sectorIdentifierUri ?? client.redirectUris[0];
  if (!source) return null;
  try {
    return new URL(source).host;
  } catch {
    return null;
  }
}

/** The distinct hosts of a list of redirect URIs (OIDC Core §8.1 needs a sector URI when there are several). */
export function redirectHosts(uris: readonly string[]): string[] {
  const hosts = new Set<string>();
  for (const uri of uris) {
    try {
      hosts.add(new URL(uri).host);
    } catch {
      // Invalid URIs are reported by the redirect URI checks.
    }
  }
  return [...hosts];
}

export class SubjectIdentifiers {
  /**
   * `salt` is secret (derived from the master key), so pairwise values cannot be computed, or
   * reversed by trying user ids, outside this server.
   */
  constructor(private readonly salt: Uint8Array) {}

  /** The `sub` a client sees for a user. */
  subjectFor(client: Pick<Client, "subjectType" | "sectorIdentifierUri" | "redirectUris" | "clientId">, userId: string): string {
    if (client.subjectType !== "pairwise") return userId;
    // OIDC Core §8.1: sub = SHA-256(sector_identifier || local_account_id || salt); keyed here (HMAC)
    // rather than appended, the same construction with the salt as the key.
    const sector = sectorIdentifierOf(client) ?? `client:${client.clientId}`;
    return createHmac("sha256", this.salt).update(sector).update("\0").update(userId).digest("base64url");
  }
}
