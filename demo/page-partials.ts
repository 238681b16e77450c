import type { Plugin } from 'vite';

// Markup the demo pages share, written once: a page says
// `<demo-progress unit="Batches done" count></demo-progress>` and Vite serves
// (or builds) it with the full section in its place. The output is plain
// HTML with the ids and roles the page scripts and the e2e specs look up, so
// the served page is the same as when every page spelled the section out.

/** A placeholder's attributes; a bare one (`count`) has the value ''. */
type Attributes = ReadonlyMap<string, string>;

/** The lines, without the placeholder's indentation, of one partial; `children` are the lines inside the placeholder. */
type Partial = (attributes: Attributes, children: readonly string[]) => string[];

function required(attributes: Attributes, name: string, partial: string): string {
  const value = attributes.get(name);
  if (value === undefined) throw new Error(`<demo-${partial}> needs a ${name}="…" attribute`);
  return value;
}

/** The pages a header links to, by file stem, with the one name every page gives each. */
const PAGE_NAMES: Record<string, string> = { train: 'Training demo', bench: 'Kernel benchmark' };

const pageLink = (stem: string): string => {
  const name = PAGE_NAMES[stem];
  if (name === undefined) throw new Error(`<demo-header links="…">: no page ${stem} (known: ${Object.keys(PAGE_NAMES).join(', ')})`);
  return `<a href="./${stem}.html">${name}</a>`;
};

/** Run and Stop; a submit Run stays disabled until the page's backend is ready. */
const runControls = (label: string, type: 'button' | 'submit'): string[] => [
  '<div class="actions">',
  `  <button id="run" ${type === 'submit' ? 'type="submit" disabled' : 'type="button"'}>${label}</button>`,
  '  <button id="stop" type="button" disabled>Stop</button>',
  '</div>',
];

const PARTIALS: Record<string, Partial> = {
  /** A page's header: its title, the lede (the children) and links to the other pages (`links="train bench"`). */
  header: (a, children) => [
    '<header>',
    `  <h1>${required(a, 'title', 'header')}</h1>`,
    '  <p class="lede">',
    ...children.map((line) => `    ${line}`),
    '  </p>',
    `  <nav aria-label="Pages">${required(a, 'links', 'header').split(' ').map(pageLink).join(' ')}</nav>`,
    '</header>',
  ],
  /** Which backend the page runs on: the note and the device table its script fills in once the engine is up. */
  backend: (a) => [
    '<section aria-labelledby="device-heading">',
    `  <h2 id="device-heading">${required(a, 'heading', 'backend')}</h2>`,
    '  <p id="backend-note" class="note" role="status">Looking for a WebGPU adapter…</p>',
    '  <div id="device"></div>',
    '</section>',
  ],
  /** The Run and Stop buttons every page's script wires up. */
  'run-controls': (a) => runControls(required(a, 'label', 'run-controls'), 'button'),
  /**
   * The options form params-form.ts binds: its fields (the children) in a
   * grid, mirrored in the URL; the errors it lists; Run submits it.
   */
  'options-form': (a, children) => [
    '<section aria-labelledby="params-heading">',
    `  <h2 id="params-heading">${required(a, 'heading', 'options-form')}</h2>`,
    '  <form id="params-form" novalidate>',
    `    <p class="hint">Every field is mirrored in the page's URL, so a configuration can be shared; add <code>autorun=1</code> to start on load.</p>`,
    '    <div class="grid">',
    ...children.map((line) => `      ${line}`),
    '    </div>',
    '    <div id="form-errors" class="errors" role="alert"></div>',
    ...runControls(required(a, 'run', 'options-form'), 'submit').map((line) => `    ${line}`),
    '  </form>',
    '</section>',
  ],
  /**
   * The progress section the page scripts drive: a bar, a label, and a
   * hidden alert for the run's error. `count` adds the "done / total" output
   * (the select page has none); children go last in the section.
   */
  progress: (a, children) => [
    '<section aria-labelledby="progress-heading">',
    '  <h2 id="progress-heading">Progress</h2>',
    '  <div class="progress-row">',
    `    <label for="progress">${required(a, 'unit', 'progress')}</label>`,
    '    <progress id="progress" max="1" value="0"></progress>',
    ...(a.has('count') ? ['    <output id="progress-count" for="progress">–</output>'] : []),
    '  </div>',
    '  <p id="progress-label" aria-live="polite">Not started.</p>',
    '  <p id="run-error" class="errors" role="alert" hidden></p>',
    ...children.map((line) => `  ${line}`),
    '</section>',
  ],
  /**
   * One 28 × 28 map of the first layer (train-maps.ts paints it) in its
   * framed box; the children are the caption, whose id is the canvas id +
   * "-caption".
   */
  'input-map': (a, children) => {
    const id = required(a, 'id', 'input-map');
    return [
      '<figure>',
      '  <div class="map-box">',
      `    <canvas id="${id}" class="heatmap" width="28" height="28" role="img" aria-label="${required(a, 'label', 'input-map')}"></canvas>`,
      '    <span class="frame" aria-hidden="true"></span>',
      '  </div>',
      `  <figcaption id="${id}-caption">${children.join(' ')}</figcaption>`,
      '</figure>',
    ];
  },
};

const PLACEHOLDER = /^([ \t]*)<demo-([a-z-]+)((?:\s+[a-z-]+(?:="[^"]*")?)*)\s*>([\s\S]*?)<\/demo-\2>/gm;
const ATTRIBUTE = /([a-z-]+)(?:="([^"]*)")?/g;

/** The non-blank lines inside a placeholder, less their common indentation. */
function childLines(inner: string): string[] {
  const lines = inner.split('\n').filter((line) => line.trim() !== '');
  const indent = Math.min(...lines.map((line) => line.length - line.trimStart().length));
  return lines.map((line) => line.slice(indent).trimEnd());
}

/** `html` with every `<demo-NAME …>…</demo-NAME>` replaced by its partial, at the placeholder's indentation. */
export function expandPartials(html: string, page = 'page'): string {
  return html.replace(PLACEHOLDER, (_match, indent: string, name: string, attributeText: string, inner: string) => {
    const partial = PARTIALS[name];
    if (!partial) throw new Error(`${page}: no partial <demo-${name}> (known: ${Object.keys(PARTIALS).join(', ')})`);
    const attributes = new Map(Array.from(attributeText.matchAll(ATTRIBUTE), (m): [string, string] => [m[1]!, m[2] ?? '']));
    return partial(attributes, childLines(inner))
      .map((line) => indent + line)
      .join('\n');
  });
}

/** Vite plugin: expands the demo pages' partials when a page is served or built. */
export function demoPartials(): Plugin {
  return {
    name: 'wgsparse-demo-partials',
    transformIndexHtml: { order: 'pre', handler: (html, context) => expandPartials(html, context.path) },
  };
}
