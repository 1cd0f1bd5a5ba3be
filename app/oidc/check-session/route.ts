import { mountRoute } from "@/lib/http/next-route";

export const dynamic = "force-dynamic";
export const GET = mountRoute("/oidc/check-session");
export const HEAD = GET;
