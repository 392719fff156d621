// One page shape for keys, teams, users and organisations: a searchable, paged list, a create form,
// per-row actions (edit limits, block, unblock, regenerate, delete, members) each behind a dialog.
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { type Column, DataTable, Pager } from '../components/data-table.js';
import { EntityForm } from '../components/entity-form.js';
import { Confirm, Modal } from '../components/modal.js';
import { type FieldSpec, formFromEntity } from '../view/form-body.js';
import { paginate, search } from '../view/paging.js';

export type Row = Record<string, any>;

export interface EntityConfig {
  /** "key", "team", ... for labels and test ids. */
  noun: string;
  title: string;
  idOf: (row: Row) => string;
  labelOf: (row: Row) => string;
  load: () => Promise<Row[]>;
  columns: Column<Row>[];
  searchTexts: (row: Row) => Array<string | null | undefined>;
  createFields: FieldSpec[];
  /** Resolves with a secret to show once (a new key), or nothing. */
  create: (body: Record<string, unknown>) => Promise<string | undefined>;
  editFields: FieldSpec[];
  update: (row: Row, body: Record<string, unknown>) => Promise<void>;
  block?: (row: Row, blocked: boolean) => Promise<void>;
  regenerate?: (row: Row) => Promise<string>;
  remove: (row: Row) => Promise<void>;
  removeWarning: (row: Row) => string;
  /** The members (or teams) of one row, shown in a dialog. */
  details?: (row: Row, refresh: () => void) => ComponentChildren;
  detailsLabel?: string;
}

const PAGE_SIZE = 20;

type Dialog =
  | { kind: 'create' }
  | { kind: 'edit'; row: Row }
  | { kind: 'delete'; row: Row }
  | { kind: 'regenerate'; row: Row }
  | { kind: 'secret'; secret: string; title: string }
  | { kind: 'details'; row: Row };

export function EntityPage(props: { config: EntityConfig }) {
  const { config } = props;
  const [rows, setRows] = useState<Row[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [query, setQuery] = useState('');
  const [pageNumber, setPageNumber] = useState(1);
  const [dialog, setDialog] = useState<Dialog | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  const refresh = () => {
    config.load().then(
      (loaded) => {
        setRows(loaded);
        setError(undefined);
      },
      (failure: Error) => setError(failure.message),
    );
  };
  useEffect(refresh, [config]);

  const found = useMemo(() => search(rows ?? [], query, config.searchTexts), [rows, query, config]);
  const page = paginate(found, pageNumber, PAGE_SIZE);
  const act = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      setNotice(done);
      refresh();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  const actions: Column<Row> = {
    label: 'Actions',
    cell: (row) => {
      const name = config.labelOf(row);
      return (
        <div class="row-actions">
          {config.details ? <button type="button" onClick={() => setDialog({ kind: 'details', row })} aria-label={`${config.detailsLabel} of ${name}`}>{config.detailsLabel}</button> : null}
          <button type="button" onClick={() => setDialog({ kind: 'edit', row })} aria-label={`Edit ${name}`}>Edit</button>
          {config.block ? (
            row.blocked ? (
              <button type="button" onClick={() => act(() => config.block!(row, false), `Unblocked ${name}.`)} aria-label={`Unblock ${name}`}>Unblock</button>
            ) : (
              <button type="button" onClick={() => act(() => config.block!(row, true), `Blocked ${name}.`)} aria-label={`Block ${name}`}>Block</button>
            )
          ) : null}
          {config.regenerate ? <button type="button" onClick={() => setDialog({ kind: 'regenerate', row })} aria-label={`Regenerate ${name}`}>Regenerate</button> : null}
          <button type="button" class="danger" onClick={() => setDialog({ kind: 'delete', row })} aria-label={`Delete ${name}`}>Delete</button>
        </div>
      );
    },
  };

  const close = () => setDialog(undefined);
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">{config.title}</h1>
        <button type="button" class="primary" onClick={() => setDialog({ kind: 'create' })}>New {config.noun}</button>
      </div>
      <div class="toolbar">
        <label class="search">
          <span class="visually-hidden">Search {config.title.toLowerCase()}</span>
          <input
            type="search"
            placeholder={`Search ${config.title.toLowerCase()}`}
            value={query}
            onInput={(event) => {
              setQuery((event.target as HTMLInputElement).value);
              setPageNumber(1);
            }}
          />
        </label>
        <button type="button" onClick={refresh}>Refresh</button>
      </div>
      {notice ? <p class="notice" role="status">{notice}</p> : null}
      {error ? <p class="error" role="alert">{error}</p> : null}
      {rows === undefined && !error ? <p class="muted">Loading…</p> : null}
      {rows !== undefined ? (
        <>
          <DataTable caption={config.title} columns={[...config.columns, actions]} rows={page.rows} rowKey={config.idOf} empty={query ? 'Nothing matches.' : `No ${config.noun}s yet.`} />
          <Pager page={page} onPage={setPageNumber} />
        </>
      ) : null}

      {dialog?.kind === 'create' ? (
        <Modal title={`New ${config.noun}`} onClose={close}>
          <EntityForm
            fields={config.createFields}
            initial={{}}
            mode="create"
            submitLabel="Create"
            onCancel={close}
            onSubmit={async (body) => {
              const secret = await config.create(body);
              refresh();
              if (secret) setDialog({ kind: 'secret', secret, title: 'Your new key' });
              else {
                close();
                setNotice(`Created the ${config.noun}.`);
              }
            }}
          />
        </Modal>
      ) : null}
      {dialog?.kind === 'edit' ? (
        <Modal title={`Edit ${config.labelOf(dialog.row)}`} onClose={close}>
          <EntityForm
            fields={config.editFields}
            initial={formFromEntity(config.editFields, dialog.row)}
            mode="edit"
            submitLabel="Save"
            onCancel={close}
            onSubmit={async (body) => {
              await config.update(dialog.row, body);
              close();
              setNotice(`Saved ${config.labelOf(dialog.row)}.`);
              refresh();
            }}
          />
        </Modal>
      ) : null}
      {dialog?.kind === 'delete' ? (
        <Confirm
          title={`Delete ${config.labelOf(dialog.row)}?`}
          message={config.removeWarning(dialog.row)}
          action="Delete"
          danger
          onClose={close}
          onConfirm={() => act(() => config.remove(dialog.row), `Deleted ${config.labelOf(dialog.row)}.`)}
        />
      ) : null}
      {dialog?.kind === 'regenerate' ? (
        <Confirm
          title={`Regenerate ${config.labelOf(dialog.row)}?`}
          message="The current value stops working at once, everywhere. Limits and spend stay."
          action="Regenerate"
          danger
          onClose={close}
          onConfirm={async () => {
            try {
              const secret = await config.regenerate!(dialog.row);
              refresh();
              // Replaces the confirmation, whose own close then has nothing to close.
              setTimeout(() => setDialog({ kind: 'secret', secret, title: 'The new key value' }));
            } catch (failure) {
              setError((failure as Error).message);
            }
          }}
        />
      ) : null}
      {dialog?.kind === 'secret' ? <SecretDialog title={dialog.title} secret={dialog.secret} onClose={close} /> : null}
      {dialog?.kind === 'details' && config.details ? (
        <Modal title={`${config.detailsLabel}: ${config.labelOf(dialog.row)}`} onClose={close}>
          {config.details(dialog.row, refresh)}
        </Modal>
      ) : null}
    </section>
  );
}

/** A new key, shown this one time: copy it now, it cannot be shown again. */
function SecretDialog(props: { title: string; secret: string; onClose: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <Modal title={props.title} onClose={props.onClose}>
      <p class="warning" role="alert">Copy this key now. It is shown only once: Sluice keeps only its hash and cannot show it again.</p>
      <div class="secret">
        <code data-testid="new-key">{props.secret}</code>
        <button
          type="button"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(props.secret);
              setCopied(true);
            } catch {
              setCopied(false);
            }
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <div class="actions">
        <button type="button" class="primary" onClick={props.onClose}>I have copied it</button>
      </div>
    </Modal>
  );
}
