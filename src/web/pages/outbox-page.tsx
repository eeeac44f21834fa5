import { useState } from 'react';
import { getOutboxMessage, listOutbox } from '../api/mail.ts';
import { DataTable } from '../components/data-table.tsx';
import { Badge, Card, Dialog, EmptyState, Loadable, PageHeader } from '../components/ui.tsx';
import { useResource } from '../lib/use-resource.ts';

const TONES = { queued: 'warn', sent: 'good', failed: 'bad' } as const;

/** The workspace's outgoing mail (owners, admins): each message, its status, and its text. */
export function OutboxPage() {
  const list = useResource(() => listOutbox(), []);
  const [open, setOpen] = useState<string | null>(null);
  const message = useResource(
    () => (open ? getOutboxMessage(open) : Promise.resolve(null)),
    [open],
  );
  return (
    <>
      <PageHeader title="Outbox">
        Every e-mail this workspace sends. Without a mail server (SMTP_URL) messages stay queued
        here.
      </PageHeader>
      <Card>
        <Loadable resource={list} label="the outbox">
          {(page) =>
            page.data.length === 0 ? (
              <EmptyState title="No messages yet" />
            ) : (
              <DataTable
                testId="outbox"
                rows={page.data}
                rowKey={(m) => m.id}
                columns={[
                  { header: 'Created', cell: (m) => m.createdAt.slice(0, 16).replace('T', ' ') },
                  { header: 'Kind', cell: (m) => m.kind },
                  { header: 'To', cell: (m) => m.to.join(', ') },
                  {
                    header: 'Subject',
                    cell: (m) => (
                      <button type="button" className="link-button" onClick={() => setOpen(m.id)}>
                        {m.subject}
                      </button>
                    ),
                  },
                  {
                    header: 'Status',
                    cell: (m) => (
                      <>
                        <Badge tone={TONES[m.status]}>{m.status}</Badge>
                        {m.error && <span className="muted small"> {m.error}</span>}
                      </>
                    ),
                  },
                ]}
              />
            )
          }
        </Loadable>
      </Card>
      <Dialog open={open !== null} title="Message" onClose={() => setOpen(null)}>
        <Loadable resource={message} label="the message">
          {(m) =>
            m && (
              <div data-testid="outbox-message">
                <p>
                  <strong>{m.subject}</strong>
                  <br />
                  From {m.fromName} to {m.to.join(', ')} · {m.status}
                  {m.attachments.length > 0 &&
                    ` · attached: ${m.attachments.map((a) => a.filename).join(', ')}`}
                </p>
                <pre className="message-text">{m.text}</pre>
              </div>
            )
          }
        </Loadable>
      </Dialog>
    </>
  );
}
