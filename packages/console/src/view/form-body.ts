// Form fields to an admin API body. On create an empty field is left out (the API's default); on edit an
// emptied field is sent as null, which the API reads as "remove this limit".

export interface FieldSpec {
  name: string;
  label: string;
  kind: 'text' | 'number' | 'list' | 'select';
  options?: readonly string[];
  hint?: string;
  required?: boolean;
}

export type FormMode = 'create' | 'edit';

export class FormError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function bodyFromForm(fields: readonly FieldSpec[], values: Record<string, string>, mode: FormMode): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of fields) {
    const raw = (values[field.name] ?? '').trim();
    if (raw === '') {
      if (field.required) throw new FormError(field.name, `${field.label} is required.`);
      if (mode === 'edit') body[field.name] = field.kind === 'list' ? [] : null;
      continue;
    }
    if (field.kind === 'number') {
      const value = Number(raw);
      if (!Number.isFinite(value) || value < 0) throw new FormError(field.name, `${field.label} must be a number of 0 or more.`);
      body[field.name] = value;
    } else if (field.kind === 'list') {
      body[field.name] = raw.split(/[\s,]+/).filter((item) => item !== '');
    } else {
      body[field.name] = raw;
    }
  }
  return body;
}

/** An entity's current values as form text (for the edit form). */
export function formFromEntity(fields: readonly FieldSpec[], entity: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of fields) {
    const value = entity[field.name];
    values[field.name] = value === null || value === undefined ? '' : Array.isArray(value) ? value.join(', ') : String(value);
  }
  return values;
}
