/** What the login and consent pages show of a pending authorization request. */
import type { PrismaClient } from "../../generated/prisma/client";
import type { ClientService } from "../../clients/client-service";
import type { GrantService } from "../../consent/grant-service";
import type { UserService } from "../../identity/user-service";
import { individuallyRequestedClaims, parsePrompt, type RequestedClaim } from "../../oidc/authentication-request";
import { claimsOfScopes } from "../../oidc/claims";
import type { InteractionPrompt } from "../../oidc/interaction-policy";
import type { LoadedInteraction } from "./store";

export interface InteractionView {
  id: string;
  prompt: InteractionPrompt;
  client: { name: string; clientUri: string | null; logoUri: string | null; policyUri: string | null; tosUri: string | null };
  /** Requested scopes, with the description stored for custom scopes. */
  scopes: { name: string; description: string | null }[];
  /**
   * User claims requested individually through the claims parameter, beyond the scopes
   * (OIDC Core §5.5), with whether the client marked them essential.
   */
  claims: RequestedClaim[];
  /**
   * What the user already allowed this client (an active grant): the consent page asks only for
   * the rest and lists these as already allowed.
   */
  granted: { scopes: string[]; claims: string[] };
  /** The signed-in user's email, once known (consent; on the login page: signing in again). */
  userEmail?: string;
  loginHint?: string;
  /** What the login form's email field starts with: an email login_hint, else (re-authentication) the signed-in user's. */
  loginEmail?: string;
  uiLocales?: string;
}

export class InteractionViews {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      tenantId: string;
      clients: ClientService;
      users: UserService;
      grants: GrantService;
    },
  ) {}

  /** The page's view of a loaded interaction, or null when its client is gone or disabled. */
  async of({ interaction, request }: LoadedInteraction): Promise<InteractionView | null> {
    const client = await this.deps.clients.findActive(request.clientId);
    if (!client || client.id !== interaction.clientId) return null;
    const scopeRows = request.scopes.length
      ? await this.deps.prisma.scope.findMany({ where: { tenantId: this.deps.tenantId, name: { in: request.scopes } }, select: { name: true, description: true } })
      : [];
    const descriptions = new Map(scopeRows.map((s) => [s.name, s.description]));
    const user = interaction.userId ? await this.deps.users.findById(interaction.userId) : null;
    const grant = user ? await this.deps.grants.findActive(user.id, client.id) : null;
    // OIDC Core §3.1.2.1 login_hint: pre-fill the email when the hint is one. Otherwise a user who
    // must sign in again (prompt=login, max_age) starts from their own account, unless the client
    // asked for an account choice or named a user through id_token_hint.
    const prompts = parsePrompt(request.prompt);
    const selectAccount = prompts.ok && prompts.values.includes("select_account");
    const loginEmail = request.loginHint?.includes("@")
      ? request.loginHint
      : user && !selectAccount && request.idTokenHintSub === undefined
        ? user.email
        : undefined;
    return {
      id: interaction.id,
      prompt: interaction.prompt === "consent" && user ? "consent" : "login",
      client: { name: client.name, clientUri: client.clientUri, logoUri: client.logoUri, policyUri: client.policyUri, tosUri: client.tosUri },
      scopes: request.scopes.map((name) => ({ name, description: descriptions.get(name) ?? null })),
      claims: individuallyRequestedClaims(request.claims, request.scopes),
      granted: { scopes: grant?.scopes ?? [], claims: grant ? [...new Set([...grant.claims, ...claimsOfScopes(grant.scopes)])] : [] },
      ...(user && { userEmail: user.email }),
      ...(request.loginHint !== undefined && { loginHint: request.loginHint }),
      ...(loginEmail !== undefined && { loginEmail }),
      ...(request.uiLocales !== undefined && { uiLocales: request.uiLocales }),
    };
  }
}
