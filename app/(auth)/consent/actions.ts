"use server";

import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { INTERACTION_COOKIE, pageUrl } from "@/lib/oauth/interaction/browser";
import { getContainer } from "@/lib/server/instance";

const consentSchema = z.object({
  interaction: z.string().max(128),
  decision: z.enum(["allow", "deny"]),
});

/**
 * The consent form's server action: records the decision and continues at
 * /oauth/authorize/resume, which sends the code (allow) or access_denied (deny) to the client.
 */
export async function decideConsent(formData: FormData): Promise<void> {
  const parsed = consentSchema.safeParse({ interaction: formData.get("interaction"), decision: formData.get("decision") });
  if (!parsed.success) redirect("/consent");
  const { interaction, decision } = parsed.data;
  const [container, cookieStore] = await Promise.all([getContainer(), cookies()]);
  const outcome = await container.interactions.submitConsent(interaction, cookieStore.get(container.sessions.hostOnly(INTERACTION_COOKIE))?.value, decision);
  // An invalid interaction re-renders the consent page, which then explains that it expired.
  redirect(outcome.status === "invalid_interaction" ? pageUrl("consent", interaction) : outcome.redirectTo);
}
