import { z } from 'zod';
import { IdParams, ListQuery, Page, Uuid } from '../../shared/schemas/common.ts';
import {
  AcceptInvitationBody,
  CreateInvitationBody,
  CreatedInvitation,
  Invitation,
  InvitationPreview,
  Member,
  UpdateMemberBody,
} from '../../shared/schemas/tenants.ts';
import { recordAuditEvent } from '../domain/audit/record-audit-event.ts';
import {
  acceptInvitation,
  createInvitation,
  listInvitations,
  lookupInvitation,
  presentInvitation,
  revokeInvitation,
} from '../domain/members/invitations.ts';
import { enqueueInvitationMail } from '../domain/mail/invitation-mail.ts';
import { mailSettingsOf } from '../domain/mail/outbox.ts';
import { listMembers, removeMember, updateMember } from '../domain/members/members.ts';
import { listMemberships } from '../domain/tenants/tenants.ts';
import { defineRoute, requireTenant } from '../http/define-route.ts';
import { AppError } from '../errors.ts';

const UserIdParams = z.object({ userId: Uuid });

export const memberRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/members',
    tag: 'Members',
    summary: 'List members',
    query: ListQuery,
    responses: { 200: { description: 'Members, oldest first', schema: Page(Member) } },
    async handler(ctx, { query }) {
      return { status: 200, body: await listMembers(ctx.tx, requireTenant(ctx).id, query) };
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/api/v1/members/:userId',
    tag: 'Members',
    summary: 'Change a member role or granted sites',
    description: 'siteIds are the sites a client may read. The last owner cannot be demoted.',
    params: UserIdParams,
    body: UpdateMemberBody,
    responses: { 200: { description: 'The member', schema: Member } },
    async handler(ctx, { params, body }) {
      const tenant = requireTenant(ctx);
      const { before, after } = await updateMember(
        ctx.tx,
        tenant.id,
        ctx.role!,
        params.userId,
        body,
      );
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      if (before.role !== after.role) changes.role = { from: before.role, to: after.role };
      if (
        JSON.stringify([...before.siteIds].sort()) !== JSON.stringify([...after.siteIds].sort())
      ) {
        changes.siteIds = { from: before.siteIds, to: after.siteIds };
      }
      await ctx.audit({
        action: 'member.updated',
        target: { type: 'user', id: params.userId },
        changes,
      });
      return { status: 200, body: after };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/members/:userId',
    tag: 'Members',
    summary: 'Remove a member',
    params: UserIdParams,
    responses: { 204: { description: 'Removed' } },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const member = await removeMember(ctx.tx, tenant.id, ctx.role!, params.userId);
      await ctx.audit({
        action: 'member.removed',
        target: { type: 'user', id: params.userId },
        changes: { role: { from: member.role, to: null }, email: { from: member.email, to: null } },
      });
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/invitations',
    tag: 'Members',
    summary: 'Invite someone by email',
    description:
      'E-mails the link to accept it (valid 7 days) to the invitee through the outbox, and replies with the token and the link too, so the inviter can pass it on. A pending invitation counts toward the member limit (402).',
    body: CreateInvitationBody,
    secretFields: ['token', 'acceptUrl'],
    responses: { 201: { description: 'Invited', schema: CreatedInvitation } },
    async handler(ctx, { body }) {
      const tenant = requireTenant(ctx);
      const { row, token } = await createInvitation(
        ctx.tx,
        tenant.id,
        {
          userId: ctx.principal?.kind === 'session' ? ctx.principal.userId : null,
          role: ctx.role!,
        },
        body,
      );
      const acceptUrl = `${ctx.services.config.appUrl}/invite?token=${encodeURIComponent(token)}`;
      const { config } = ctx.services;
      await enqueueInvitationMail(
        ctx.tx,
        tenant,
        { email: row.email, role: row.role, expiresAt: row.expires_at },
        ctx.principal?.kind === 'session' ? ctx.principal.name : null,
        acceptUrl,
        mailSettingsOf(config),
      );
      await ctx.audit({
        action: 'invitation.created',
        target: { type: 'invitation', id: row.id },
        changes: { email: { from: null, to: row.email }, role: { from: null, to: row.role } },
      });
      return { status: 201, body: { ...presentInvitation(row), token, acceptUrl } };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/invitations',
    tag: 'Members',
    summary: 'List pending invitations',
    query: ListQuery,
    responses: { 200: { description: 'Pending invitations', schema: Page(Invitation) } },
    async handler(ctx, { query }) {
      return { status: 200, body: await listInvitations(ctx.tx, requireTenant(ctx).id, query) };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/invitations/:id',
    tag: 'Members',
    summary: 'Withdraw an invitation',
    params: IdParams,
    responses: { 204: { description: 'Withdrawn' } },
    async handler(ctx, { params }) {
      const row = await revokeInvitation(ctx.tx, requireTenant(ctx).id, params.id);
      await ctx.audit({ action: 'invitation.revoked', target: { type: 'invitation', id: row.id } });
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/invitations/lookup',
    tag: 'Members',
    summary: 'Look up an invitation by its token',
    description:
      'For the invitation page: the workspace, the role, who invited and how many sites a client will see. The token goes in the body, not the URL, so it stays out of access logs. The invited address is returned to a signed-out visitor (to prefill sign-up) or to the user it is for; to anyone else signed in it is null, and forSignedInUser is false. Unknown, used, withdrawn or expired: 404.',
    body: AcceptInvitationBody,
    responses: { 200: { description: 'The invitation', schema: InvitationPreview } },
    async handler(ctx, { body }) {
      const viewer = ctx.principal?.kind === 'session' ? { email: ctx.principal.email } : null;
      return { status: 200, body: await lookupInvitation(ctx.tx, viewer, body.token) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/invitations/accept',
    tag: 'Members',
    summary: 'Accept an invitation',
    description: 'The signed-in user must have the invited email address.',
    body: AcceptInvitationBody,
    responses: {
      200: {
        description: 'Joined; the reply lists the workspaces',
        schema: z.object({ tenantId: Uuid, memberships: z.array(z.unknown()) }),
      },
    },
    async handler(ctx, { body }) {
      if (ctx.principal?.kind !== 'session') throw new AppError('unauthenticated');
      const user = { id: ctx.principal.userId, email: ctx.principal.email };
      const { tenantId, invitation } = await acceptInvitation(ctx.tx, user, body.token);
      await recordAuditEvent(ctx.tx, tenantId, ctx.actor, ctx.meta, {
        action: 'member.joined',
        target: { type: 'user', id: user.id },
        changes: { role: { from: null, to: invitation.role }, invitationId: invitation.id },
      });
      return {
        status: 200,
        body: { tenantId, memberships: await listMemberships(ctx.tx, user.id) },
      };
    },
  }),
];
