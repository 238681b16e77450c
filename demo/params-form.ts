// Form ⇄ options ⇄ URL for the demo pages (the benchmark and the training
// page alike): a form field is named after its option (bench/options-core.ts),
// so the same parsers and messages serve the command line, the URL and the form.
import { OptionError, readValue, type OptionSpec, type OptionSpecs } from '../bench/options-core.js';

/** A form's fields bound to a family's options. */
export interface OptionsForm<V> {
  /** Writes `values` into the fields that exist in the form. */
  fill(values: V): void;
  /** The fields' values over `base` (options without a field keep base's), and what is wrong; bad fields get aria-invalid. */
  read(base: V): { values: V; errors: OptionError[] };
}

type Field = HTMLInputElement | HTMLSelectElement | RadioNodeList;

const boxes = (field: RadioNodeList): HTMLInputElement[] => Array.from(field).filter((n): n is HTMLInputElement => n instanceof HTMLInputElement);

function setInvalid(field: Field, invalid: boolean): void {
  for (const el of field instanceof RadioNodeList ? boxes(field) : [field]) {
    if (invalid) el.setAttribute('aria-invalid', 'true');
    else el.removeAttribute('aria-invalid');
  }
}

/**
 * Binds the fields of `form` named after options of `specs`: a text field or
 * select holds the option's written form, a lone checkbox a flag, several
 * checkboxes of one name a list (checked values joined by commas).
 */
export function bindOptionsForm<V>(form: HTMLFormElement, specs: OptionSpecs<V>): OptionsForm<V> {
  const fields: Array<{ spec: OptionSpec<V>; field: Field }> = [];
  for (const spec of specs as ReadonlyArray<OptionSpec<V>>) {
    if (spec.scope === 'cli') continue;
    const field = form.elements.namedItem(String(spec.key));
    if (field instanceof HTMLInputElement || field instanceof HTMLSelectElement || field instanceof RadioNodeList) fields.push({ spec, field });
  }
  const text = (field: Field): string => {
    if (field instanceof RadioNodeList) return boxes(field).filter((b) => b.checked).map((b) => b.value).join(',');
    if (field instanceof HTMLInputElement && field.type === 'checkbox') return field.checked ? '1' : '0';
    return field.value;
  };
  return {
    fill(values) {
      for (const { spec, field } of fields) {
        const written = spec.format(values[spec.key]);
        if (field instanceof RadioNodeList) {
          const chosen = written.split(',');
          for (const b of boxes(field)) b.checked = chosen.includes(b.value);
        } else if (field instanceof HTMLInputElement && field.type === 'checkbox') {
          field.checked = written === '1';
        } else {
          field.value = written;
        }
        setInvalid(field, false);
      }
    },
    read(base) {
      const values = { ...base };
      const errors: OptionError[] = [];
      for (const { spec, field } of fields) {
        try {
          values[spec.key] = readValue(spec, text(field));
          setInvalid(field, false);
        } catch (e) {
          if (!(e instanceof OptionError)) throw e;
          setInvalid(field, true);
          errors.push(e);
        }
      }
      return { values, errors };
    },
  };
}

/** The messages of `errors` as a list in `container` (emptied when there are none). */
export function showErrors(container: HTMLElement, errors: ReadonlyArray<OptionError | string>): void {
  const items = errors.map((e) => {
    const li = document.createElement('li');
    li.textContent = typeof e === 'string' ? e : e.message;
    return li;
  });
  if (items.length === 0) container.replaceChildren();
  else {
    const ul = document.createElement('ul');
    ul.append(...items);
    container.replaceChildren(ul);
  }
}

/** Replaces the page's query string (no new history entry). */
export function replaceQuery(search: URLSearchParams): void {
  const query = search.toString();
  history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
}

/**
 * The pages' shared wiring: edits that parse rewrite the URL (on 'input',
 * quietly; on 'change', listing what is wrong), a submit with no errors runs.
 * `onChange` sees a 'change' event first (e.g. a preset that refills the form).
 */
export function wireOptionsForm<V>(
  form: HTMLFormElement,
  bound: OptionsForm<V>,
  hooks: {
    current: () => V;
    accept: (values: V) => void;
    /** Cross-option checks of the program (e.g. the page trains one variant). */
    check?: (values: V) => OptionError[];
    errors: HTMLElement;
    toSearch: (values: V) => URLSearchParams;
    onChange?: (event: Event) => void;
    submit: (values: V) => void;
  },
): void {
  const read = () => {
    const r = bound.read(hooks.current());
    return { values: r.values, errors: [...r.errors, ...(r.errors.length ? [] : (hooks.check?.(r.values) ?? []))] };
  };
  const take = (values: V) => {
    hooks.accept(values);
    replaceQuery(hooks.toSearch(values));
  };
  form.addEventListener('change', (event) => {
    hooks.onChange?.(event);
    const r = read();
    showErrors(hooks.errors, r.errors);
    if (r.errors.length === 0) take(r.values);
  });
  form.addEventListener('input', () => {
    const r = read();
    if (r.errors.length === 0) {
      showErrors(hooks.errors, []);
      take(r.values);
    }
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const r = read();
    showErrors(hooks.errors, r.errors);
    if (r.errors.length) {
      form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    take(r.values);
    hooks.submit(r.values);
  });
}
