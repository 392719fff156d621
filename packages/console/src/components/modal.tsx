import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/** A modal <dialog>: focus moves into it, Escape closes it, the page behind is inert. */
export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);
  return (
    <dialog ref={dialog} aria-label={props.title} onCancel={(event) => { event.preventDefault(); props.onClose(); }}>
      <header class="dialog-header">
        <h2>{props.title}</h2>
        <button type="button" class="icon" aria-label="Close" onClick={props.onClose}>×</button>
      </header>
      {props.children}
    </dialog>
  );
}

/** Asks before something that cannot be undone. */
export function Confirm(props: { title: string; message: string; action: string; danger?: boolean; onConfirm: () => Promise<void> | void; onClose: () => void }) {
  return (
    <Modal title={props.title} onClose={props.onClose}>
      <p>{props.message}</p>
      <div class="actions">
        <button type="button" onClick={props.onClose}>Cancel</button>
        <button
          type="button"
          class={props.danger ? 'danger' : 'primary'}
          onClick={async () => {
            await props.onConfirm();
            props.onClose();
          }}
        >
          {props.action}
        </button>
      </div>
    </Modal>
  );
}
