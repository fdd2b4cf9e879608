/**
 * Why someone lands on /login signed out, shown above the form: `/login?notice=<key>`. Only these
 * keys are known; anything else shows nothing (the page never echoes the query string).
 */
export const SIGN_IN_NOTICES = {
  'password-changed': 'Your password was changed. Sign in with the new one.',
} as const;

export type SignInNotice = keyof typeof SIGN_IN_NOTICES;

/** The sign-in page with `notice` shown on it. */
export const signInUrlWith = (notice: SignInNotice) => `/login?notice=${notice}`;

/** The sentence for a `notice` query value, or null for none or an unknown one. */
export function signInNotice(raw: string | string[] | undefined): string | null {
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value && Object.hasOwn(SIGN_IN_NOTICES, value) ? SIGN_IN_NOTICES[value as SignInNotice] : null;
}
