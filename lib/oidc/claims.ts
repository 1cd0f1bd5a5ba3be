/**
 * Standard claims (OIDC Core §5.1), the scopes that release them (§5.4) and the `claims` request
 * parameter (§5.5). Claims without a value are omitted, never sent as null (§5.3.2).
 */
import { z } from "zod";
import type { User } from "../generated/prisma/client";
import { standardScopes } from "../scopes/standard-scopes";

/** OIDC Core §5.1: the standard user claims (each has a plain-words description in the catalogs). */
export const standardUserClaims = [
  "name",
  "given_name",
  "family_name",
  "middle_name",
  "nickname",
  "preferred_username",
  "profile",
  "picture",
  "website",
  "gender",
  "birthdate",
  "zoneinfo",
  "locale",
  "updated_at",
  "email",
  "email_verified",
  "address",
  "phone_number",
  "phone_number_verified",
] as const;
export type StandardUserClaim = (typeof standardUserClaims)[number];

export function isStandardUserClaim(name: string): name is StandardUserClaim {
  return (standardUserClaims as readonly string[]).includes(name);
}

/** OIDC Core §5.4: the user claims each standard scope requests (one list: lib/scopes/standard-scopes.ts). */
export const scopeClaims: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  standardScopes.map((scope) => [scope.name, scope.claims.filter(isStandardUserClaim)]),
);

/** Every claim this server can release (Discovery §3 claims_supported). */
export const supportedClaims: readonly string[] = [
  "sub",
  "iss",
  "aud",
  "exp",
  "iat",
  "auth_time",
  "nonce",
  "acr",
  "amr",
  "azp",
  "at_hash",
  "sid",
  ...standardUserClaims,
];

/** The user claims (OIDC Core §5.1) that a set of scopes releases (§5.4). */
export function claimsOfScopes(scopes: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const scope of scopes) for (const claim of scopeClaims[scope] ?? []) names.add(claim);
  return names;
}

/**
 * OIDC Core §5.5.1: an individual claim request is null (default) or an object with `essential`,
 * `value` or `values`. Anything else is not a valid request for that claim.
 */
const individualClaimRequest = z.union([
  z.null(),
  z
    .object({
      essential: z.boolean().optional(),
      value: z.unknown().optional(),
      values: z.array(z.unknown()).max(32).optional(),
    })
    .loose(),
]);
const claimsMember = z.record(z.string().max(128), individualClaimRequest).refine((o) => Object.keys(o).length <= 64, { error: "too many claims" });

/** OIDC Core §5.5: `{"userinfo": {...}, "id_token": {...}}`; other members are ignored. */
export const claimsRequestSchema = z
  .object({
    userinfo: claimsMember.optional(),
    id_token: claimsMember.optional(),
  })
  .loose();

export type ClaimsRequest = z.infer<typeof claimsRequestSchema>;
export type IndividualClaimRequest = z.infer<typeof individualClaimRequest>;

/** Parses a stored or sent claims request; null when it is absent or not valid. */
export function parseClaimsRequest(value: unknown): ClaimsRequest | null {
  if (value === null || value === undefined) return null;
  const parsed = claimsRequestSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** The columns of a user that the standard claims come from. */
export const claimColumns = [
  "name",
  "givenName",
  "familyName",
  "middleName",
  "nickname",
  "preferredUsername",
  "profile",
  "picture",
  "website",
  "gender",
  "birthdate",
  "zoneinfo",
  "locale",
  "updatedAt",
  "email",
  "emailVerified",
  "phoneNumber",
  "phoneNumberVerified",
  "addressFormatted",
  "addressStreetAddress",
  "addressLocality",
  "addressRegion",
  "addressPostalCode",
  "addressCountry",
] as const satisfies readonly (keyof User)[];

export type ClaimSource = Pick<User, (typeof claimColumns)[number]>;

/** The standard claims a user has values for (OIDC Core §5.1), keyed by claim name. */
export function standardClaimsOf(user: ClaimSource): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    name: user.name,
    given_name: user.givenName,
    family_name: user.familyName,
    middle_name: user.middleName,
    nickname: user.nickname,
    preferred_username: user.preferredUsername,
    profile: user.profile,
    picture: user.picture,
    website: user.website,
    gender: user.gender,
    birthdate: user.birthdate,
    zoneinfo: user.zoneinfo,
    locale: user.locale,
    // OIDC Core §5.1: updated_at is seconds since the epoch.
    updated_at: Math.floor(user.updatedAt.getTime() / 1000),
    email: user.email,
    email_verified: user.emailVerified,
    phone_number: user.phoneNumber,
    // §5.1: phone_number_verified only makes sense with a phone number.
    phone_number_verified: user.phoneNumber ? user.phoneNumberVerified : null,
  };
  // OIDC Core §5.1.1: the address claim is a JSON object of its present members.
  const address: Record<string, string> = {};
  if (user.addressFormatted) address.formatted = user.addressFormatted;
  if (user.addressStreetAddress) address.street_address = user.addressStreetAddress;
  if (user.addressLocality) address.locality = user.addressLocality;
  if (user.addressRegion) address.region = user.addressRegion;
  if (user.addressPostalCode) address.postal_code = user.addressPostalCode;
  if (user.addressCountry) address.country = user.addressCountry;
  if (Object.keys(address).length > 0) claims.address = address;
  for (const [name, value] of Object.entries(claims)) if (value === null || value === undefined || value === "") delete claims[name];
  return claims;
}

/**
 * The user claims released to a client: those of the granted scopes (OIDC Core §5.4) plus those
 * named in the matching member of the claims request (§5.5; an `openid` request may ask for
 * individual claims without their scope). Only claims with a value appear.
 */
export function releasedClaims(user: ClaimSource, scopes: readonly string[], requested: Record<string, IndividualClaimRequest> | readonly string[] | undefined): Record<string, unknown> {
  const names = claimsOfScopes(scopes);
  const extra = Array.isArray(requested) ? requested : Object.keys(requested ?? {});
  for (const name of extra) if (isStandardUserClaim(name)) names.add(name);
  const all = standardClaimsOf(user);
  const out: Record<string, unknown> = {};
  for (const name of names) if (name in all) out[name] = all[name];
  return out;
}

/** The user claims named in one member of a claims request (protocol claims such as acr are not user claims). */
export function requestedUserClaims(member: Record<string, IndividualClaimRequest> | undefined): string[] {
  return member ? Object.keys(member).filter(isStandardUserClaim) : [];
}
