import { mountRoute } from "@/lib/http/next-route";

export const dynamic = "force-dynamic";
const handler = mountRoute("/oidc/userinfo");
export const GET = handler;
export const POST = handler;
export const OPTIONS = handler;
