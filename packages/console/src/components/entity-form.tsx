import { useState } from 'preact/hooks';
import { bodyFromForm, type FieldSpec, FormError, type FormMode } from '../view/form-body.js';

/** A form of admin API fields; submit resolves with the body, errors stay on the form. */
export function EntityForm(props: {
  fields: readonly FieldSpec[];
  initial: Record<string, string>;
  mode: FormMode;
  submitLabel: string;
  onSubmit: (body: Record<string, unknown>) => Promise<void>;
  onCancel: () => void;
}) {
  const [values, setValues] = useState(props.initial);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    let body: Record<string, unknown>;
    try {
      body = bodyFromForm(props.fields, values, props.mode);
    } catch (failure) {
      setError(failure instanceof FormError ? failure.message : String(failure));
      return;
    }
    setBusy(true);
    try {
      await props.onSubmit(body);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} class="entity-form">
      {props.fields.map((field) => {
        const id = `field-${field.name}`;
        const onInput = (event: Event) => setValues({ ...values, [field.name]: (event.target as HTMLInputElement).value });
        return (
          <label for={id} key={field.name}>
            <span>{field.label}{field.required ? ' *' : ''}</span>
            {field.kind === 'select' ? (
              <select id={id} value={values[field.name] ?? ''} onChange={onInput}>
                <option value="">(default)</option>
                {(field.options ?? []).map((option) => <option value={option}>{option}</option>)}
              </select>
            ) : (
              <input
                id={id}
                name={field.name}
                inputMode={field.kind === 'number' ? 'decimal' : undefined}
                value={values[field.name] ?? ''}
                onInput={onInput}
                autoComplete="off"
                required={field.required}
              />
            )}
            {field.hint ? <small>{field.hint}</small> : null}
          </label>
        );
      })}
      {error ? <p class="error" role="alert">{error}</p> : null}
      <div class="actions">
        <button type="button" onClick={props.onCancel}>Cancel</button>
        <button type="submit" class="primary" disabled={busy}>{props.submitLabel}</button>
      </div>
    </form>
  );
}
