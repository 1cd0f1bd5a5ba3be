-- OIDC Core §5.5: the user claims a client asked for in the claims request's userinfo member,
-- kept with each issued access token so that UserInfo reads them with the token's row.
ALTER TABLE "AccessToken" ADD COLUMN "userinfoClaims" TEXT[] DEFAULT ARRAY[]::TEXT[];
