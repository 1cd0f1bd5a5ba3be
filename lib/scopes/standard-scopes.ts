/** Scopes defined by OpenID Connect, with the claims each releases. */
export interface StandardScope {
  name: string;
  description: string;
  claims: string[];
}

export const standardScopes: StandardScope[] = [
  // OIDC Core §3.1.2.1: openid marks an OpenID Connect request.
  { name: "openid", description: "Sign you in with your account", claims: ["sub"] },
  // OIDC Core §5.4: profile, email, address, phone.
  {
    name: "profile",
    description: "Your name and basic profile",
    claims: [
      "name",
      "family_name",
      "given_name",
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
    ],
  },
  { name: "email", description: "Your email address", claims: ["email", "email_verified"] },
  { name: "address", description: "Your postal address", claims: ["address"] },
  { name: "phone", description: "Your phone number", claims: ["phone_number", "phone_number_verified"] },
  // OIDC Core §11: offline_access requests a refresh token.
  { name: "offline_access", description: "Stay connected when you are not using the application", claims: [] },
];
