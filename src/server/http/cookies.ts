import type { Response } from 'express';
import type { Config } from '../config.ts';
import { randomToken } from '../lib/ids.ts';
import { CSRF_COOKIE, SESSION_COOKIE } from './authenticate.ts';

/** Sets the session cookie (HttpOnly) and a fresh readable csrf_token cookie for double submit. */
export function setSessionCookies(res: Response, config: Config, token: string, expiresAt: Date) {
  const secure = config.appUrl.startsWith('https:');
  res.cookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    expires: expiresAt,
  });
  res.cookie(CSRF_COOKIE, randomToken(24), {
    httpOnly: false,
    sameSite: 'lax',
    secure,
    path: '/',
    expires: expiresAt,
  });
}

export function clearSessionCookies(res: Response, config: Config) {
  const secure = config.appUrl.startsWith('https:');
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
  res.clearCookie(CSRF_COOKIE, { sameSite: 'lax', secure, path: '/' });
}
