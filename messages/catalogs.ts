/**
 * The message catalogues of every locale, merged from the core file (messages/<locale>.json) and
 * one file per area of the interface (messages/<area>/<locale>.json). Each file holds whole
 * namespaces; a namespace lives in exactly one area. Used by next-intl (i18n/request.ts), by the
 * pages rendered outside Next.js, and by mail templates.
 */
import deCore from "./de.json";
import enCore from "./en.json";
import frCore from "./fr.json";
import deAccount from "./account/de.json";
import enAccount from "./account/en.json";
import frAccount from "./account/fr.json";
import deLogin from "./login/de.json";
import enLogin from "./login/en.json";
import frLogin from "./login/fr.json";
import dePages from "./pages/de.json";
import enPages from "./pages/en.json";
import frPages from "./pages/fr.json";
import deRegistration from "./registration/de.json";
import enRegistration from "./registration/en.json";
import frRegistration from "./registration/fr.json";
import type { Locale } from "../i18n/locales";

const en = { ...enCore, ...enLogin, ...enAccount, ...enRegistration, ...enPages };
export type Messages = typeof enCore & typeof enLogin & typeof enAccount & typeof enRegistration & typeof enPages;

/** Every locale has every message (checked here by the compiler and in i18n/messages.test.ts). */
export const catalogs: Record<Locale, Messages> = {
  en,
  de: { ...deCore, ...deLogin, ...deAccount, ...deRegistration, ...dePages },
  fr: { ...frCore, ...frLogin, ...frAccount, ...frRegistration, ...frPages },
};
