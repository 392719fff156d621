import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { scratchDirectory, type RenderedObject } from './helm-chart.js';

// Validates rendered objects against the Kubernetes API schemas in two ways, because neither is enough
// alone: kubernetes-models' JSON-schema validators check types, formats, enums and required fields but let
// unknown fields through; the TypeScript declarations of the same models, through the compiler's excess
// property check, reject unknown or misspelt fields at any depth (what `helm install` refuses too).

interface ModelLocation {
  /** Module that exports the class (runtime validation) and the `I<Kind>` interface. */
  module: string;
}

function modelLocation(apiVersion: string, kind: string): ModelLocation {
  if (apiVersion.startsWith('monitoring.coreos.com/')) {
    return { module: `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}` };
  }
  if (apiVersion.startsWith('keda.sh/')) return { module: `@kubernetes-models/keda/${apiVersion}/${kind}` };
  return { module: `kubernetes-models/${apiVersion}/${kind}` };
}

export interface SchemaProblem {
  object: string;
  message: string;
}

function describe(rendered: RenderedObject): string {
  return `${rendered.object.kind}/${rendered.object.metadata?.name} (${rendered.source})`;
}

/** kubernetes-models' validators: types, required fields, enums and formats of every field it knows. */
export async function validateWithModels(objects: RenderedObject[]): Promise<SchemaProblem[]> {
  const problems: SchemaProblem[] = [];
  for (const rendered of objects) {
    const { apiVersion, kind } = rendered.object;
    let model: (new (data: unknown) => { validate(): void }) | undefined;
    try {
      const exports = (await import(modelLocation(apiVersion, kind).module)) as Record<string, unknown>;
      model = exports[kind] as typeof model;
    } catch {
      model = undefined;
    }
    if (!model) {
      problems.push({ object: describe(rendered), message: `no schema for ${apiVersion} ${kind}` });
      continue;
    }
    try {
      new model(structuredClone(rendered.object)).validate();
    } catch (error) {
      problems.push({ object: describe(rendered), message: (error as Error).message });
    }
  }
  return problems;
}

/** The models' TypeScript declarations: every field must exist where it is written, with the right type. */
export function validateWithDeclarations(objects: RenderedObject[]): SchemaProblem[] {
  const directory = scratchDirectory();
  try {
    const imports = new Map<string, string>();
    const lines: string[] = [];
    const lineOwners: number[] = [];
    objects.forEach((rendered, index) => {
      const { apiVersion, kind } = rendered.object;
      const module = modelLocation(apiVersion, kind).module;
      const alias = `T${imports.size}`;
      if (!imports.has(module)) imports.set(module, alias);
      const body = JSON.stringify(rendered.object, null, 2).split('\n');
      body[0] = `export const object${index}: ${imports.get(module)} = ${body[0]}`;
      body[body.length - 1] = `${body[body.length - 1]};`;
      for (const line of body) {
        lines.push(line);
        lineOwners.push(index);
      }
    });
    const header = [...imports].map(([module, alias]) => {
      const kind = module.slice(module.lastIndexOf('/') + 1);
      return `import type { I${kind} as ${alias} } from '${module}';`;
    });
    const file = join(directory, 'rendered-objects.ts');
    writeFileSync(file, [...header, ...lines].join('\n'));
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      types: [],
    });
    const problems: SchemaProblem[] = [];
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      if (!diagnostic.file || diagnostic.start === undefined || diagnostic.file.fileName !== file) {
        problems.push({ object: '(compiler)', message });
        continue;
      }
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      const owner = lineOwners[line - header.length];
      const text = diagnostic.file.text.split('\n')[line]?.trim();
      problems.push({
        object: owner === undefined ? '(imports)' : describe(objects[owner]!),
        message: `${message} at: ${text}`,
      });
    }
    return problems;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
