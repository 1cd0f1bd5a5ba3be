/**
 * OpenID Connect Discovery 1.0 §3 provider metadata, served at /.well-known/openid-configuration
 * (§4). It is the RFC 8414 authorization server metadata plus the OpenID Connect members, so the
 * two documents always agree: one builder, one precomputed document, two paths (RFC 8414 §2 allows
 * OpenID Connect members in the OAuth document).
 */
import { locales } from "../../i18n/locales";
import { authorizationServerMetadata } from "../oauth/metadata";
import { signingAlgorithms, subjectTypes } from "../protocol/constants";
import { oidcPaths } from "../protocol/paths";
import { PROMPT_VALUES, SUPPORTED_ACR_VALUES } from "./authentication-request";
import { supportedClaims } from "./claims";

export function providerMetadata(issuer: string, scopes: readonly string[]): Record<string, unknown> {
  return {
    ...authorizationServerMetadata(issuer, scopes),
    userinfo_endpoint: issuer + oidcPaths.userinfo,
    // Discovery §3: the members this provider supports; nothing is listed that is not implemented.
    subject_types_supported: subjectTypes,
    id_token_signing_alg_values_supported: signingAlgorithms,
    // UserInfo answers plain JSON only (no userinfo_signing_alg_values_supported).
    claims_supported: supportedClaims,
    // Core §3.1.2.1 acr_values: password sign-in is the one authentication context.
    acr_values_supported: SUPPORTED_ACR_VALUES,
    claim_types_supported: ["normal"],
    claims_parameter_supported: true, // Core §5.5
    // Core §6: request objects are not supported (request_uri_parameter_supported defaults to true, so say so).
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    ui_locales_supported: locales,
    display_values_supported: ["page"],
    prompt_values_supported: PROMPT_VALUES,
    // Session Management 1.0 §3.3, RP-Initiated Logout 1.0 §2.1, Front-Channel Logout 1.0 §3, Back-Channel Logout 1.0 §2.1.
    check_session_iframe: issuer + oidcPaths.checkSession,
    end_session_endpoint: issuer + oidcPaths.endSession,
    frontchannel_logout_supported: true,
    frontchannel_logout_session_supported: true,
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
  };
}
