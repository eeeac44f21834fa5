import type { Role } from '../data/schema.ts';

// Who is asking and in which workspace: built by the HTTP pipeline, read by the domain.

/** A signed-in user, by session cookie. */
export interface SessionPrincipal {
  kind: 'session';
  userId: string;
  email: string;
  name: string;
  sessionHash: string;
}

/** An API key; it carries its own tenant. */
export interface ApiKeyPrincipal {
  kind: 'api_key';
  keyId: string;
  name: string;
  tenantId: string;
  /** The lesser of the key's own role and its creator's current role. */
  role: Role;
  /** The user accountable for the key (its creator, or the creator of the key that made it). */
  createdBy: string;
}

export type Principal = SessionPrincipal | ApiKeyPrincipal;

/** The tenant of a request, as the pipeline resolved it. */
export interface TenantInfo {
  id: string;
  name: string;
  subdomain: string;
  plan: string;
  currency: string;
  timezone: string;
  branding: Record<string, unknown>;
  createdAt: string;
}
