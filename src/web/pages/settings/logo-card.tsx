import { useRef, useState } from 'react';
import { LOGO_CONTENT_TYPES, MAX_LOGO_BYTES } from '../../../shared/schemas/tenants.ts';
import { describeError } from '../../api/problem.ts';
import { deleteLogo, uploadLogo } from '../../api/reporting-share.ts';
import { Alert, Card, ConfirmButton } from '../../components/ui.tsx';
import { useWorkspace } from '../../session/workspace.tsx';

/** Upload, preview and remove the workspace logo (shown on shared reports, PDFs and e-mails). */
export function LogoCard({ logoUrl, canEdit }: { logoUrl: string | null; canEdit: boolean }) {
  const { reloadSettings } = useWorkspace();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function upload(file: File) {
    setError(null);
    if (!(LOGO_CONTENT_TYPES as readonly string[]).includes(file.type)) {
      setError('Choose a PNG, JPEG or WebP image (SVG is not accepted).');
      return;
    }
    if (file.size > MAX_LOGO_BYTES) {
      setError(`The logo is ${Math.ceil(file.size / 1024)} KiB; at most 256 KiB is accepted.`);
      return;
    }
    setBusy(true);
    try {
      await uploadLogo(file);
      reloadSettings();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
      if (input.current) input.current.value = '';
    }
  }

  return (
    <Card title="Logo" className="mt">
      <div className="logo-setting">
        <div className="logo-preview" aria-live="polite">
          {logoUrl ? (
            <img src={logoUrl} alt="Current workspace logo" />
          ) : (
            <span className="muted">No logo yet</span>
          )}
        </div>
        <div>
          <p className="muted">
            PNG, JPEG or WebP, at most 256 KiB. Shown on shared reports, PDFs and report e-mails.
          </p>
          {error && <Alert kind="error">{error}</Alert>}
          {canEdit && (
            <div className="row-actions">
              <label className="btn btn-secondary">
                {busy ? 'Uploading…' : logoUrl ? 'Replace logo' : 'Upload logo'}
                <input
                  ref={input}
                  type="file"
                  accept={LOGO_CONTENT_TYPES.join(',')}
                  className="sr-only"
                  disabled={busy}
                  aria-label="Logo file"
                  onChange={(e) => {
                    const file = e.target.files?.[0];
                    if (file) void upload(file);
                  }}
                />
              </label>
              {logoUrl && (
                <ConfirmButton
                  variant="danger"
                  question="Remove the logo from shared reports, PDFs and e-mails?"
                  onConfirm={() => {
                    deleteLogo().then(reloadSettings, (err: unknown) =>
                      setError(describeError(err)),
                    );
                  }}
                >
                  Remove logo
                </ConfirmButton>
              )}
            </div>
          )}
        </div>
      </div>
    </Card>
  );
}
