import type { Response } from 'express';
import type { Config } from '../config.ts';
import { CSRF_COOKIE, SESSION_COOKIE, csrfTokenFor } from './authenticate.ts';

/** Sets the session cookie (HttpOnly) and its readable csrf_token cookie for double submit. */
export function setSessionCookies(res: Response, config: Config, token: string, expiresAt: Date) {
  const secure = config.appUrl.startsWith('https:');
  res.cookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    expires: expiresAt,
  });
  setCsrfCookie(res, config, token, expiresAt);
}

/** Sets the csrf_token cookie of a session (bound to it: see csrfTokenFor). */
export function setCsrfCookie(
  res: Response,
  config: Config,
  sessionToken: string,
  expiresAt: Date,
) {
  res.cookie(CSRF_COOKIE, csrfTokenFor(sessionToken), {
    httpOnly: false,
    sameSite: 'lax',
    secure: config.appUrl.startsWith('https:'),
    path: '/',
    expires: expiresAt,
  });
}

export function clearSessionCookies(res: Response, config: Config) {
  const secure = config.appUrl.startsWith('https:');
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
  res.clearCookie(CSRF_COOKIE, { sameSite: 'lax', secure, path: '/' });
}
