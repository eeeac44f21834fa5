import type { Tx } from '../../data/database.ts';
import { brandedHtml, linkButton, mailBrand, paragraph } from './compose.ts';
import { brandName, enqueueMail, fromNameFor, type MailSettings } from './outbox.ts';

/**
 * Records the e-mail of an invitation in the workspace's outbox (the caller's transaction): the
 * invitee gets the link to accept, branded as the workspace.
 */
export async function enqueueInvitationMail(
  tx: Tx,
  tenant: { id: string; name: string; branding: Record<string, unknown> },
  invitation: { email: string; role: string; expiresAt: Date },
  inviter: string | null,
  acceptUrl: string,
  settings: MailSettings,
): Promise<{ id: string }> {
  const name = brandName(tenant);
  const brand = mailBrand(name, tenant.branding);
  const who = inviter ? `${inviter} invited you` : 'You are invited';
  const intro = `${who} to join ${name} on ROI Spectrum as ${invitation.role === 'admin' ? 'an' : 'a'} ${invitation.role}.`;
  const expires = `The link works until ${invitation.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC. Sign in (or create an account) with ${invitation.email} to accept it.`;
  const { id } = await enqueueMail(
    tx,
    tenant.id,
    {
      kind: 'invitation',
      to: [invitation.email],
      fromName: fromNameFor(tenant, settings),
      subject: `Join ${name} on ROI Spectrum`,
      text: `${intro}\n\nAccept the invitation: ${acceptUrl}\n\n${expires}\n`,
      html: brandedHtml(
        brand,
        paragraph(intro) +
          linkButton(acceptUrl, 'Accept the invitation', brand.color) +
          paragraph(expires),
      ),
    },
    settings,
  );
  return { id };
}
