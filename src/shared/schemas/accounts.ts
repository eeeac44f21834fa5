import { z } from 'zod';
import { IsoDateTime, Role, text, Uuid } from './common.ts';

export const Email = text().trim().max(254).pipe(z.email('must be an email address'));
export const Password = text()
  .min(10, 'must be at least 10 characters')
  .max(256, 'must be at most 256 characters');

export const SignupBody = z.object({
  email: Email,
  password: Password,
  name: text().trim().min(1).max(120),
});
export const LoginBody = z.object({
  email: text().trim().max(254),
  password: text().max(256),
});

export const User = z
  .object({ id: Uuid, email: z.string(), name: z.string(), createdAt: IsoDateTime })
  .meta({ id: 'User' });
export type User = z.infer<typeof User>;

export const UserReply = z.object({ user: User });

export const Subdomain = z
  .string()
  .trim()
  .toLowerCase()
  .min(3, 'must be 3 to 63 characters')
  .max(63, 'must be 3 to 63 characters')
  .regex(/^[a-z0-9-]+$/, 'may contain only a-z, 0-9 and -')
  .regex(/^[a-z0-9].*[a-z0-9]$/, 'must not start or end with a hyphen');

export const TenantSummary = z.object({ id: Uuid, name: z.string(), subdomain: z.string() });

export const MeReply = z.object({
  user: User,
  memberships: z.array(z.object({ tenant: TenantSummary, role: Role })),
});
export type MeReply = z.infer<typeof MeReply>;

export const PasswordResetRequestBody = z.object({ email: text().trim().max(254) }).strict();
export const PasswordResetConfirmBody = z
  .object({ token: text().min(1).max(200), password: Password })
  .strict();
