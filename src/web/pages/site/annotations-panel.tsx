import { useState } from 'react';
import { CreateAnnotationBody } from '../../../shared/schemas/annotations.ts';
import { createAnnotation, deleteAnnotation, listAnnotations } from '../../api/annotations.ts';
import {
  Badge,
  Button,
  Card,
  ConfirmButton,
  EmptyState,
  Field,
  FormError,
  Loadable,
} from '../../components/ui.tsx';
import { useResource } from '../../lib/use-resource.ts';
import { precheck, useSubmit } from '../../lib/use-submit.ts';

/**
 * A site's annotations (its own, the workspace-wide ones and those of its services), and for
 * staff a form to add one and a delete button on the manual ones.
 */
export function AnnotationsPanel({ siteId, staff }: { siteId: string; staff: boolean }) {
  const list = useResource(() => listAnnotations({ siteId: [siteId] }), [siteId]);
  const [date, setDate] = useState('');
  const [title, setTitle] = useState('');
  const [note, setNote] = useState('');
  const [wide, setWide] = useState(false);
  const body = { siteId: wide ? null : siteId, date, title, note: note || undefined };
  const add = useSubmit(async () => {
    await createAnnotation(body);
    setTitle('');
    setNote('');
    list.reload();
  });
  const remove = useSubmit(async (id: string) => {
    await deleteAnnotation(id);
    list.reload();
  });

  return (
    <Card title="Annotations" className="mt">
      <Loadable resource={list} label="annotations">
        {(page) =>
          page.data.length === 0 ? (
            <EmptyState title="No annotations yet" />
          ) : (
            <ul className="plain-list" data-testid="annotations">
              {page.data.map((a) => (
                <li key={a.id}>
                  <strong>{a.date}</strong> · {a.title}
                  {a.note && <span className="muted"> — {a.note}</span>}{' '}
                  {a.source === 'service' ? (
                    <Badge tone="info">from a service</Badge>
                  ) : a.siteId === null ? (
                    <Badge>all sites</Badge>
                  ) : null}
                  {staff && a.source === 'manual' && (
                    <ConfirmButton
                      variant="ghost"
                      busy={remove.busy}
                      question={`Delete the annotation “${a.title}”?`}
                      onConfirm={() => void remove.run(a.id)}
                    >
                      Delete
                    </ConfirmButton>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </Loadable>
      <FormError error={remove.error} />
      {staff && (
        <form
          className="form-inline mt"
          aria-label="Add an annotation"
          onSubmit={(e) => {
            e.preventDefault();
            const checked = precheck(CreateAnnotationBody, body);
            if (checked.ok) void add.run();
            else add.setFieldErrors(checked.errors);
          }}
        >
          <Field label="Date" name="date" errors={add.fieldErrors}>
            {(p) => (
              <input {...p} type="date" value={date} onChange={(e) => setDate(e.target.value)} />
            )}
          </Field>
          <Field label="Title" name="title" errors={add.fieldErrors}>
            {(p) => (
              <input
                {...p}
                value={title}
                maxLength={200}
                onChange={(e) => setTitle(e.target.value)}
              />
            )}
          </Field>
          <Field label="Note (optional)" name="note" errors={add.fieldErrors}>
            {(p) => (
              <input
                {...p}
                value={note}
                maxLength={2000}
                onChange={(e) => setNote(e.target.value)}
              />
            )}
          </Field>
          <label className="checkbox">
            <input type="checkbox" checked={wide} onChange={(e) => setWide(e.target.checked)} /> All
            sites of the workspace
          </label>
          <Button type="submit" variant="primary" busy={add.busy}>
            Add annotation
          </Button>
          <FormError error={add.error} fields={['date', 'title', 'note']} />
        </form>
      )}
    </Card>
  );
}
